import type { ResourceCache } from '../bits-store.ts';
import { copyCounted } from './counted-copy.ts';
import type { PackageZipLimits } from './package-zip-limits.ts';
import type { CheckedPackageZip } from './read-package-zip.ts';

/**
 * Reads every file of an uploaded zip that is to be stored as it is: inflates it, counts what the
 * files really hold against the limit (yauzl also holds each entry to its declared size), and keeps
 * them in the resource cache when one is given. Throws `InvalidPackageBits` for a zip bomb or a
 * corrupt entry, so the zip is refused before anything is stored.
 */
export async function checkZipContents(zip: CheckedPackageZip, limits: PackageZipLimits, cache: ResourceCache | undefined): Promise<void> {
  const counter = { bytes: 0, limit: limits.maxUncompressedBytes };
  for (const entry of zip.entries) {
    if (entry.kind === 'file') await copyCounted(await zip.openFile(entry), counter, cache);
  }
}
