import { createHash } from 'node:crypto';
import { InvalidPackageBits } from '../bits-errors.ts';
import type { ZipFileLocation } from '../bits-store.ts';
import type { PackageZipLimits } from './package-zip-limits.ts';
import { wholeFileBytes, type CheckedPackageZip, type CheckedZipEntry } from './read-package-zip.ts';

/** How many small files are read and inflated at once: the inflating (on zlib's threads) runs beside the hashing. */
const filesAtOnce = 4;

type FileEntry = CheckedZipEntry & { kind: 'file' };

/**
 * Reads every file of an uploaded zip that is to be stored as it is, in one pass: inflates it, counts
 * what the files really hold against the limit (each file must also hold exactly its declared size),
 * and with `fingerprints` hashes it (SHA-1) for the resource cache. Small files are read whole (with
 * their local header), a few at a time; larger ones are streamed. Throws `InvalidPackageBits` for a
 * zip bomb or a corrupt entry, so the zip is refused before anything is stored or kept. Resolves with
 * where each file lies in the zip and its fingerprint (none without `fingerprints`), for
 * `ResourceCache.keepZipFiles`.
 */
export async function checkZipContents(
  zip: CheckedPackageZip,
  limits: PackageZipLimits,
  { fingerprints }: { fingerprints: boolean },
): Promise<ZipFileLocation[]> {
  const counter = { bytes: 0, limit: limits.maxUncompressedBytes };
  const count = (bytes: number): void => {
    counter.bytes += bytes;
    if (counter.bytes > counter.limit) throw new InvalidPackageBits(`The package unpacks to more than ${counter.limit} bytes.`);
  };
  const small: FileEntry[] = [];
  const large: FileEntry[] = [];
  for (const entry of zip.entries) {
    if (entry.kind !== 'file') continue;
    (entry.declaredBytes <= wholeFileBytes && entry.entry.compressedSize <= wholeFileBytes ? small : large).push(entry);
  }
  const locations: ZipFileLocation[] = [];
  const locate = async (entry: FileEntry, sha1: string): Promise<void> => {
    if (!fingerprints) return;
    const { compressedSize, compressionMethod } = entry.entry;
    locations.push({
      sha1,
      sizeBytes: entry.declaredBytes,
      dataStart: await zip.dataStartOf(entry),
      compressedSize,
      method: compressionMethod === 0 ? 0 : 8,
    });
  };
  let next = 0;
  const readSmall = async (): Promise<void> => {
    while (next < small.length) {
      const entry = small[next++]!;
      const content = await zip.readFile(entry);
      count(content.length);
      if (fingerprints) await locate(entry, createHash('sha1').update(content).digest('hex'));
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
  for (const entry of large) {
    const hash = fingerprints ? createHash('sha1') : undefined;
    for await (const chunk of await zip.openFile(entry)) {
      count((chunk as Buffer).length);
      hash?.update(chunk as Buffer);
    }
    if (hash) await locate(entry, hash.digest('hex'));
  }
  return locations;
}
