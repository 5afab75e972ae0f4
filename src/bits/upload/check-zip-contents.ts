import { InvalidPackageBits } from '../bits-errors.ts';
import type { ResourceCache } from '../bits-store.ts';
import { copyCounted } from './counted-copy.ts';
import type { PackageZipLimits } from './package-zip-limits.ts';
import { wholeFileBytes, type CheckedPackageZip, type CheckedZipEntry } from './read-package-zip.ts';

/** How many small files are read, inflated and kept at once: the inflating runs beside the hashing and writing. */
const filesAtOnce = 4;

/**
 * Reads every file of an uploaded zip that is to be stored as it is: inflates it, counts what the
 * files really hold against the limit (each file must also hold exactly its declared size), and
 * keeps them in the resource cache when one is given. Small files are read whole, a few at a time;
 * larger ones are streamed. Throws `InvalidPackageBits` for a zip bomb or a corrupt entry, so the zip
 * is refused before anything is stored.
 */
export async function checkZipContents(zip: CheckedPackageZip, limits: PackageZipLimits, cache: ResourceCache | undefined): Promise<void> {
  const counter = { bytes: 0, limit: limits.maxUncompressedBytes };
  const small: (CheckedZipEntry & { kind: 'file' })[] = [];
  const large: (CheckedZipEntry & { kind: 'file' })[] = [];
  for (const entry of zip.entries) {
    if (entry.kind !== 'file') continue;
    (entry.declaredBytes <= wholeFileBytes && entry.entry.compressedSize <= wholeFileBytes ? small : large).push(entry);
  }
  let next = 0;
  const readSmall = async (): Promise<void> => {
    while (next < small.length) {
      const content = await zip.readFile(small[next++]!);
      counter.bytes += content.length;
      if (counter.bytes > counter.limit) throw new InvalidPackageBits(`The package unpacks to more than ${counter.limit} bytes.`);
      await cache?.keepContent(content).catch(() => undefined);
    }
  };
  const workers = Array.from({ length: filesAtOnce }, readSmall);
  try {
    await Promise.all(workers);
  } catch (error) {
    // The others stop at their next file; wait for them so that nothing runs on after the refusal.
    next = small.length;
    await Promise.allSettled(workers);
    throw error;
  }
  for (const entry of large) await copyCounted(await zip.openFile(entry), counter, cache);
}
