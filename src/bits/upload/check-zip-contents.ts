import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { InvalidPackageBits } from '../bits-errors.ts';
import type { ResourceCache } from '../bits-store.ts';
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
    if (entry.kind === 'file') await readFile(await zip.openFile(entry), counter, cache);
  }
}

async function readFile(content: Readable, counter: { bytes: number; limit: number }, cache: ResourceCache | undefined): Promise<void> {
  const toCache = cache ? new PassThrough() : undefined;
  const kept = toCache ? cache!.keep(toCache).catch(() => undefined) : undefined;
  try {
    for await (const chunk of content) {
      counter.bytes += (chunk as Buffer).length;
      if (counter.bytes > counter.limit) throw new InvalidPackageBits(`The package unpacks to more than ${counter.limit} bytes.`);
      // A cache that failed (its stream destroyed) is no reason to refuse the package.
      if (toCache && !toCache.destroyed && !toCache.write(chunk)) await Promise.race([once(toCache, 'drain'), once(toCache, 'close')]);
    }
  } catch (error) {
    toCache?.destroy();
    content.destroy();
    throw error;
  }
  toCache?.end();
  await kept;
}
