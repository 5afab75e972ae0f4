import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { noResourceCache, type BitsStore } from '../bits-store.ts';
import { FileResourceCache, keptZipPath } from './file-resource-cache.ts';
import { PackageBlobStore } from './package-blob-store.ts';
import { temporaryPrefix } from './temporary-file.ts';

export type EmbeddedBitsStoreOptions = {
  /** The server's data directory; the bits live in `<dataDir>/bits/`. */
  dataDir: string;
  /** The bound of the resource-match cache, in bytes of file content (`resourceMatching.cacheBytes`); 0 keeps none. */
  resourceCacheBytes: number;
};

/** Where uploads are spooled before they are checked: beside the blobs, so nothing crosses filesystems. */
export const uploadSpoolDirectory = (dataDir: string): string => join(dataDir, 'bits', 'uploads');

/**
 * The embedded adapter of the bits-store port: `<dataDir>/bits/` holds package zips by sha256
 * (`sha256/`, `packages/`), the resource-match cache by SHA-1 (`resources/`) and upload spools
 * (`uploads/`), all private to the server's user. A zip the cache keeps may be a hard link to a package
 * blob (the same inode: its bytes are on disk once). Temporary files a killed process left are removed here.
 */
export async function openEmbeddedBitsStore(options: EmbeddedBitsStoreOptions): Promise<BitsStore> {
  const root = join(options.dataDir, 'bits');
  await mkdir(root, { recursive: true, mode: 0o700 });
  const resourcesDirectory = join(root, 'resources');
  // The cache keeps an uploaded zip as a hard link to what becomes the package's blob: a link the
  // blob store must count as no package.
  const packages = new PackageBlobStore(root, { otherLinksOf: (digest) => [keptZipPath(resourcesDirectory, digest)] });
  await packages.prepare();
  await removeTemporaryFiles(join(root, 'sha256'));
  const spool = uploadSpoolDirectory(options.dataDir);
  await rm(spool, { recursive: true, force: true });
  await mkdir(spool, { recursive: true, mode: 0o700 });
  if (options.resourceCacheBytes === 0) {
    // Resource matching switched off: files kept by an earlier run are of no use any more.
    await rm(resourcesDirectory, { recursive: true, force: true });
    return { packages, resources: noResourceCache, close: async () => undefined };
  }
  const resources = new FileResourceCache(resourcesDirectory, options.resourceCacheBytes);
  await resources.prepare();
  return { packages, resources, close: async () => undefined };
}

async function removeTemporaryFiles(directory: string): Promise<void> {
  for (const name of await readdir(directory)) {
    if (name.startsWith(temporaryPrefix)) await rm(join(directory, name), { force: true });
  }
}
