import type yauzl from 'yauzl';

/**
 * The next entry of a zip opened with `lazyEntries`, or undefined at its end; a zip that cannot be read
 * rejects with `invalid(error)`, the caller's own error for it.
 */
export function nextZipEntry(zip: yauzl.ZipFile, invalid: (error: Error) => Error): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const onEntry = (entry: yauzl.Entry): void => {
      zip.off('end', onEnd).off('error', onError);
      resolve(entry);
    };
    const onEnd = (): void => {
      zip.off('entry', onEntry).off('error', onError);
      resolve(undefined);
    };
    const onError = (error: Error): void => {
      zip.off('entry', onEntry).off('end', onEnd);
      reject(invalid(error));
    };
    zip.once('entry', onEntry).once('end', onEnd).once('error', onError);
    zip.readEntry();
  });
}
