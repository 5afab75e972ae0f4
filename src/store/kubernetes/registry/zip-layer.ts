import { once } from 'node:events';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import yauzl from 'yauzl';

/** The zip is not one yauzl (or Go's archive/zip) can read; Korifi fails such an upload too. */
export class InvalidZipError extends Error {
  override readonly name = 'InvalidZipError';
}

/** Every tar entry gets this time, as buildpacks' archive code normalises it for Korifi. */
export const normalizedModTime = new Date(Date.UTC(1980, 0, 1, 0, 0, 1));

// The "version made by" high byte: which system wrote the entry, hence how to read its attributes.
const creatorFat = 0;
const creatorUnix = 3;
const creatorNtfs = 11;
const creatorVfat = 14;
const creatorMacOs = 19;

const unixTypeMask = 0o170000;
const unixDirectory = 0o040000;
const unixSymlink = 0o120000;
const unixRegular = 0o100000;

type EntryKind = 'file' | 'directory' | 'symlink' | 'other';
type EntryHeader = Parameters<tar.Pack['entry']>[0];

/**
 * Checks that the file is a readable zip (its central directory), before anything is sent to a
 * registry.
 */
export async function assertReadableZip(zipPath: string): Promise<void> {
  const zip = await openZip(zipPath);
  zip.close();
}

/**
 * The zip as the uncompressed tar layer Korifi's uploader makes of it: entries in zip order, each at
 * `/<its path>`, owner 0:0 without names, time {@link normalizedModTime}; permission bits from the
 * zip's Unix attributes, or 0777 for entries made on FAT/VFAT, or the MS-DOS mapping (0666 files, 0777
 * directories, minus write bits when read-only); symlinks keep their target (the entry's content).
 * Entries that are none of file, directory or symlink (devices, pipes) are left out. Streamed: one zip
 * entry is read at a time.
 *
 * Where it differs from Korifi (tar readers, kpack's among them, see no difference in the first two):
 * directory names end in `/` (tar-stream writes them so, Go's writer does not); entries from systems
 * that are neither Unix nor MS-DOS carry no mode, written as tar-stream's defaults 0644 and 0755 where
 * Go writes 0000; and a zip whose entry names leave the archive (`..`, absolute paths) is refused by
 * yauzl as invalid, where Korifi would put such entries under `/`.
 */
export function zipAsTarLayer(zipPath: string): Readable {
  const pack = tar.pack();
  void writeEntries(zipPath, pack).then(
    () => pack.finalize(),
    // Whatever stops the walk is the zip's fault (bad compressed data, a CRC or size that lies).
    (error: unknown) => pack.destroy(invalidZip(error)),
  );
  return pack as unknown as Readable;
}

async function writeEntries(zipPath: string, pack: tar.Pack): Promise<void> {
  const zip = await openZip(zipPath);
  // Whoever reads the layer may stop early (a refused push): then stop reading the zip and close it.
  let reading: Readable | undefined;
  const abandoned = new Promise<never>((_resolve, reject) =>
    pack.once('close', () => reject(new Error('tar layer closed before its end'))),
  );
  abandoned.catch(() => undefined);
  const step = <T>(work: Promise<T>): Promise<T> => Promise.race([work, abandoned]);
  try {
    for (let entry = await step(nextEntry(zip)); entry; entry = await step(nextEntry(zip))) {
      const { kind, mode } = describe(entry);
      if (kind === 'other') continue;
      const header: EntryHeader = {
        name: posix.join('/', entry.fileName),
        mode,
        mtime: normalizedModTime,
        uid: 0,
        gid: 0,
        uname: '',
        gname: '',
      };
      if (kind === 'directory') {
        await step(addEntry(pack, { ...header, type: 'directory' }, Buffer.alloc(0)));
        continue;
      }
      reading = await step(openEntry(zip, entry));
      if (kind === 'file') await step(streamFile(pack, { ...header, type: 'file', size: entry.uncompressedSize }, reading));
      else
        await step(
          addEntry(pack, { ...header, type: 'symlink', linkname: (await step(readAll(reading))).toString('utf8') }, Buffer.alloc(0)),
        );
    }
  } finally {
    reading?.destroy();
    zip.close();
  }
}

function describe(entry: yauzl.Entry): { kind: EntryKind; mode: number } {
  const creator = entry.versionMadeBy >> 8;
  const namedAsDirectory = entry.fileName.endsWith('/');
  if (creator === creatorUnix || creator === creatorMacOs) return describeUnix(entry.externalFileAttributes >>> 16, namedAsDirectory);
  if (creator === creatorNtfs || creator === creatorVfat || creator === creatorFat) {
    const described = describeMsdos(entry.externalFileAttributes, namedAsDirectory);
    // buildpacks' zip reader forces 0777 on whatever FAT and VFAT wrote.
    return creator === creatorNtfs ? described : { ...described, mode: 0o777 };
  }
  return { kind: namedAsDirectory ? 'directory' : 'file', mode: 0 };
}

function describeUnix(unixMode: number, namedAsDirectory: boolean): { kind: EntryKind; mode: number } {
  const mode = unixMode & 0o7777;
  const type = unixMode & unixTypeMask;
  if (namedAsDirectory || type === unixDirectory) return { kind: 'directory', mode };
  if (type === unixSymlink) return { kind: 'symlink', mode };
  return { kind: type === 0 || type === unixRegular ? 'file' : 'other', mode };
}

function describeMsdos(attributes: number, namedAsDirectory: boolean): { kind: EntryKind; mode: number } {
  const msdosDirectory = (attributes & 0x10) !== 0;
  const readOnly = (attributes & 0x01) !== 0;
  const mode = (msdosDirectory ? 0o777 : 0o666) & (readOnly ? ~0o222 : 0o7777);
  return { kind: msdosDirectory || namedAsDirectory ? 'directory' : 'file', mode };
}

async function addEntry(pack: tar.Pack, header: EntryHeader, content: Buffer): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    pack.entry(header, content, (error) => (error ? reject(error) : resolve())).once('error', reject),
  );
}

async function streamFile(pack: tar.Pack, header: EntryHeader, content: Readable): Promise<void> {
  const written = new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, (error) => (error ? reject(error) : resolve()));
    sink.once('error', reject);
    void (async () => {
      try {
        for await (const chunk of content) if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
        sink.end(null);
      } catch (error) {
        sink.destroy(invalidZip(error)); // tar-stream hands this error on to the layer's reader
        reject(invalidZip(error));
      }
    })();
  });
  await written;
}

function openZip(zipPath: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) =>
      error ? reject(new InvalidZipError(`not a valid zip file: ${error.message}`, { cause: error })) : resolve(zip),
    ),
  );
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry): void => (cleanup(), resolve(entry));
    const onEnd = (): void => (cleanup(), resolve(undefined));
    const onError = (error: Error): void => (
      cleanup(),
      reject(new InvalidZipError(`not a valid zip file: ${error.message}`, { cause: error }))
    );
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) =>
      error ? reject(new InvalidZipError(`not a valid zip file: ${error.message}`, { cause: error })) : resolve(stream),
    ),
  );
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function invalidZip(error: unknown): InvalidZipError {
  return error instanceof InvalidZipError
    ? error
    : new InvalidZipError(`not a valid zip file: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
