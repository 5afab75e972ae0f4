import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { InvalidPackageBits } from '../bits-errors.ts';
import type { ZipFileLocation } from '../bits-store.ts';
import type { PackageZipLimits } from './package-zip-limits.ts';
import { wholeFileBytes, type CheckedPackageZip, type CheckedZipEntry } from './read-package-zip.ts';
import type { StreamedZipEntries } from './zip-stream-check.ts';

/** How many small files are read and inflated at once on this thread: the inflating (on zlib's threads) runs beside the hashing. */
const filesAtOnce = 4;
/**
 * From this many compressed bytes of small files on, they are checked in worker threads (one per
 * core, at most two): each inflates and hashes in its own thread and small heap, so the work runs
 * on both cores, its garbage never reaches the server's heap, and the event loop stays free. Below
 * it, starting the workers would cost more than it saves.
 */
export const defaultWorkerThresholdBytes = 8 * 1024 * 1024;
const workerCount = Math.max(1, Math.min(2, availableParallelism()));

type FileEntry = CheckedZipEntry & { kind: 'file' };

/**
 * Reads every file of an uploaded zip that is to be stored as it is, in one pass: inflates it, counts
 * what the files really hold against the limit (each file must also hold exactly its declared size),
 * and with `fingerprints` hashes it (SHA-1) for the resource cache. Small files are read whole (with
 * their local header): in worker threads when they are many (`workerThresholdBytes` compressed), else
 * a few at a time here; larger ones are streamed. A file `streamed` already read while the zip arrived
 * is not read again when what was read agrees with its directory record. Throws `InvalidPackageBits` for a
 * zip bomb or a corrupt entry, so the zip is refused before anything is stored or kept. Resolves with
 * where each file lies in the zip and its fingerprint (none without `fingerprints`), for
 * `ResourceCache.keepZipFiles`.
 */
export async function checkZipContents(
  zip: CheckedPackageZip,
  limits: PackageZipLimits,
  {
    fingerprints,
    workerThresholdBytes = defaultWorkerThresholdBytes,
    streamed,
  }: { fingerprints: boolean; workerThresholdBytes?: number; streamed?: StreamedZipEntries | undefined },
): Promise<ZipFileLocation[]> {
  const counter = { bytes: 0, limit: limits.maxUncompressedBytes };
  const count = (bytes: number): void => {
    counter.bytes += bytes;
    if (counter.bytes > counter.limit) throw new InvalidPackageBits(`The package unpacks to more than ${counter.limit} bytes.`);
  };
  const { confirmed, small, large } = filesToCheck(zip, streamed, fingerprints);
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
  // Read while the zip arrived, and holding exactly what the directory declares.
  for (const { entry, sha1 } of confirmed) {
    count(entry.declaredBytes);
    await locate(entry, sha1);
  }
  const smallCompressedBytes = small.reduce((total, entry) => total + entry.entry.compressedSize, 0);
  const checkSmall = small.length > 0 && smallCompressedBytes >= workerThresholdBytes ? checkInWorkers : checkHere;
  await checkSmall(zip, small, { fingerprints, count, locate });
  for (const entry of large) await checkLarge(zip, entry, { fingerprints, count, locate });
  return locations;
}

/** The files read while the zip arrived that agree with the directory (with their SHA-1), and the rest to read now, small and large. */
function filesToCheck(
  zip: CheckedPackageZip,
  streamed: StreamedZipEntries | undefined,
  fingerprints: boolean,
): { confirmed: { entry: FileEntry; sha1: string }[]; small: FileEntry[]; large: FileEntry[] } {
  const confirmed: { entry: FileEntry; sha1: string }[] = [];
  const small: FileEntry[] = [];
  const large: FileEntry[] = [];
  for (const entry of zip.entries) {
    if (entry.kind !== 'file') continue;
    const noted = streamed?.get(entry.entry.relativeOffsetOfLocalHeader);
    if (noted && (!fingerprints || noted.sha1 !== '') && zip.confirmStreamed(entry, noted)) confirmed.push({ entry, sha1: noted.sha1 });
    else (entry.declaredBytes <= wholeFileBytes && entry.entry.compressedSize <= wholeFileBytes ? small : large).push(entry);
  }
  return { confirmed, small, large };
}

type Checking = { fingerprints: boolean; count: (bytes: number) => void; locate: (entry: FileEntry, sha1: string) => Promise<void> };

/** A larger file, streamed: counted as it inflates, so a bomb stops at the limit. */
async function checkLarge(zip: CheckedPackageZip, entry: FileEntry, { fingerprints, count, locate }: Checking): Promise<void> {
  const hash = fingerprints ? createHash('sha1') : undefined;
  for await (const chunk of await zip.openFile(entry)) {
    count((chunk as Buffer).length);
    hash?.update(chunk as Buffer);
  }
  if (hash) await locate(entry, hash.digest('hex'));
}

/** What checking the small files does with each: hash it (or not), count its bytes, note where it lies. */
type SmallFileChecks = {
  fingerprints: boolean;
  count: (bytes: number) => void;
  locate: (entry: FileEntry, sha1: string) => Promise<void>;
};

/** The small files in worker threads: each holds exactly its declared size (the workers check it), which is counted. */
async function checkInWorkers(
  zip: CheckedPackageZip,
  small: readonly FileEntry[],
  { fingerprints, count, locate }: SmallFileChecks,
): Promise<void> {
  const sha1s = await zip.checkFilesInWorkers(small, { fingerprints, workers: workerCount });
  for (const [index, entry] of small.entries()) {
    count(entry.declaredBytes);
    await locate(entry, sha1s[index]!);
  }
}

/** The small files on this thread, a few at a time; the first failure stops the others at their next file. */
async function checkHere(
  zip: CheckedPackageZip,
  small: readonly FileEntry[],
  { fingerprints, count, locate }: SmallFileChecks,
): Promise<void> {
  let next = 0;
  const readSmall = async (): Promise<void> => {
    while (next < small.length) {
      const entry = small[next++]!;
      const content = await zip.readFile(entry);
      count(content.length);
      if (fingerprints) await locate(entry, createHash('sha1').update(content).digest('hex'));
    }
  };
  const readers = Array.from({ length: filesAtOnce }, readSmall);
  try {
    await Promise.all(readers);
  } catch (error) {
    // Wait for the others, so that nothing runs on after the refusal.
    next = small.length;
    await Promise.allSettled(readers);
    throw error;
  }
}
