import { PassThrough, type Readable } from 'node:stream';
import yazl from 'yazl';
import { InvalidPackageBits } from '../bits-errors.ts';
import type { ResourceCache } from '../bits-store.ts';
import { copyCounted } from './counted-copy.ts';
import type { PackageZipLimits } from './package-zip-limits.ts';
import type { CheckedPackageZip, CheckedZipEntry } from './read-package-zip.ts';
import type { MatchedResource } from './uploaded-resources.ts';
import './native-crc32.ts';

export type PackageZipSources = {
  /** The uploaded zip, already opened and checked by `readPackageZip`; none when every file was matched. */
  uploaded: CheckedPackageZip | undefined;
  /** The files the client left out, to be taken from the cache. */
  resources: readonly MatchedResource[];
  cache: ResourceCache;
  limits: PackageZipLimits;
  /** Also keep the uploaded files in `cache`, so that the next push can leave them out. */
  keepUploadedFiles: boolean;
};

/**
 * Deflate levels of the rebuilt zip. Uploaded files: 1, a fraction of the default's CPU for nearly
 * its ratio. Matched files are stored as they are: they are most of a repeated push, and deflating
 * them again (about 40 MB/s here) would cost more time than not uploading them saved; only the
 * embedded backend matches resources, so the larger zip stays on its local disk.
 */
const uploadedCompressionLevel = 1;
const matchedCompressionLevel = 0;
const fileType = 0o100000;
const directoryType = 0o040000;
const symlinkType = 0o120000;

/**
 * The package as it will be stored: a new zip of the uploaded entries (their checked paths and modes)
 * plus the matched files from the cache (with the mode the client sent). Used when the upload cannot
 * be stored as it is (files to add, or names and modes other tools would read differently): the
 * rebuilt zip holds only names this server checked, whatever the upload's local headers or extra
 * fields said. The result is a stream: the store reads it as it is built. Every
 * limit is checked again against the bytes actually read; a breach, or a matched file the cache no
 * longer holds, fails the stream with `InvalidPackageBits`, so the store keeps nothing; totals already
 * over a limit (the declared sizes, the entry count) throw at once.
 */
export function buildPackageZip(sources: PackageZipSources): Readable {
  checkTotals(sources);
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  // A reader that goes away (the store failed) must not leave the copy waiting for it forever.
  const abandoned = new AbortController();
  output.once('close', () => abandoned.abort());
  addEverything(zip, sources, abandoned.signal).then(
    () => zip.end(),
    (error: unknown) => output.destroy(error as Error),
  );
  return output;
}

function checkTotals({ uploaded, resources, limits }: PackageZipSources): void {
  const entries = (uploaded?.entries.length ?? 0) + resources.length;
  if (entries > limits.maxEntries) throw new InvalidPackageBits(`The package would have more than ${limits.maxEntries} entries.`);
  const bytes = (uploaded?.declaredBytes ?? 0) + resources.reduce((total, resource) => total + resource.sizeBytes, 0);
  if (bytes > limits.maxUncompressedBytes)
    throw new InvalidPackageBits(`The package would unpack to more than ${limits.maxUncompressedBytes} bytes.`);
  const uploadedPaths = new Set(uploaded?.entries.map((entry) => entry.path));
  const clash = resources.find((resource) => uploadedPaths.has(resource.path));
  if (clash) throw new InvalidPackageBits(`The path '${clash.path}' is both in the uploaded package and in the resources field.`);
}

async function addEverything(zip: yazl.ZipFile, sources: PackageZipSources, signal: AbortSignal): Promise<void> {
  const counter = { bytes: 0, limit: sources.limits.maxUncompressedBytes, signal };
  for (const entry of sources.uploaded?.entries ?? []) {
    await addUploadedEntry(zip, entry, sources, counter);
  }
  for (const resource of sources.resources) {
    const content = await sources.cache.open({ sha1: resource.sha1, sizeBytes: resource.sizeBytes });
    if (!content) {
      throw new InvalidPackageBits(
        `The file '${resource.path}' (SHA-1 ${resource.sha1}) is not in the resource cache any more; push again to upload it.`,
      );
    }
    await copyInto(
      { zip, counter },
      content,
      { path: resource.path, mode: fileType | resource.mode, compressionLevel: matchedCompressionLevel },
      undefined,
    );
  }
}

async function addUploadedEntry(zip: yazl.ZipFile, entry: CheckedZipEntry, sources: PackageZipSources, counter: Counter): Promise<void> {
  if (entry.kind === 'directory') {
    zip.addEmptyDirectory(entry.path, { mode: directoryType | entry.mode });
  } else if (entry.kind === 'symlink') {
    zip.addBuffer(Buffer.from(entry.target, 'utf8'), entry.path, { mode: symlinkType | 0o777, compress: false });
  } else {
    const content = await sources.uploaded!.openFile(entry);
    await copyInto(
      { zip, counter },
      content,
      { path: entry.path, mode: fileType | entry.mode, compressionLevel: uploadedCompressionLevel },
      sources.keepUploadedFiles ? sources.cache : undefined,
    );
  }
}

type Counter = { bytes: number; limit: number; signal: AbortSignal };

/** Adds `content` to the zip writer (which reads its entries one after another), counted, and to the cache when asked. */
async function copyInto(
  { zip, counter }: { zip: yazl.ZipFile; counter: Counter },
  content: Readable,
  { path, mode, compressionLevel }: { path: string; mode: number; compressionLevel: number },
  cache: ResourceCache | undefined,
): Promise<void> {
  const toZip = new PassThrough();
  zip.addReadStream(toZip, path, { mode, compressionLevel });
  await copyCounted(content, counter, cache, toZip);
}
