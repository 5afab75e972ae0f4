import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { BitsStore, PackageBitsRef } from '../../../src/bits/bits-store.ts';
import { openEmbeddedBitsStore } from '../../../src/bits/embedded/embedded-bits-store.ts';
import type { FileResourceCache } from '../../../src/bits/embedded/file-resource-cache.ts';
import { checkZipContents } from '../../../src/bits/upload/check-zip-contents.ts';
import { readPackageZip } from '../../../src/bits/upload/read-package-zip.ts';
import { makeZip, temporaryDirectory } from './zip-fixtures.ts';

const limits = { maxUncompressedBytes: 64 * 1024 * 1024, maxEntries: 100 };
const sha1 = (content: Buffer): string => createHash('sha1').update(content).digest('hex');
const sha256 = (content: Buffer): string => createHash('sha256').update(content).digest('hex');
const fingerprint = (content: Buffer): { sha1: string; sizeBytes: number } => ({ sha1: sha1(content), sizeBytes: content.length });
const packageRef = (packageGuid: string): PackageBitsRef => ({ appGuid: 'app-1', packageGuid });

/**
 * The resource cache keeps an uploaded zip as a hard link to the upload's spool, which then becomes
 * the package's blob: one inode, three names (`sha256/<hex>`, `packages/<guid>/<hex>`,
 * `resources/zips/<hex>.zip`). Whichever goes first, exactly what is still used stays on disk.
 */
describe('the embedded bits store: a kept zip linked to its package blob', () => {
  let dataDir: string;
  let bits: string;
  let store: BitsStore;
  let cache: FileResourceCache;
  // Room for one test zip (about 40 KB) and not for a second file of 40 KB beside it.
  const cacheBytes = 64 * 1024;

  beforeEach(async () => {
    dataDir = await temporaryDirectory();
    bits = join(dataDir, 'bits');
    await open();
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function open(): Promise<void> {
    store = await openEmbeddedBitsStore({ dataDir, resourceCacheBytes: cacheBytes });
    cache = store.resources as FileResourceCache;
  }

  const content = randomBytes(40_000);

  /** A zip as a first push sends it: one file, stored, so that the zip is about as large as the file. */
  async function zipOf(file: Buffer): Promise<Buffer> {
    return makeZip([{ path: 'app.bin', content: file, compress: false }]);
  }

  /** What an upload stored as it was does: spool, check, keep the files in the cache, hand the spool to the blob store. */
  async function upload(ref: PackageBitsRef, zipBytes: Buffer, spoolDirectory = join(bits, 'uploads')): Promise<{ spoolIno: number }> {
    const spool = join(spoolDirectory, `upload-${ref.packageGuid}.zip`);
    await writeFile(spool, zipBytes, { mode: 0o600, flag: 'wx' });
    const spoolIno = (await stat(spool)).ino;
    const zip = await readPackageZip(spool, limits);
    try {
      const files = await checkZipContents(zip, limits, { fingerprints: true });
      expect(await zip.localHeadersAgree()).to.equal(true);
      await cache.keepZipFiles({ path: spool, sha256: sha256(zipBytes) }, files);
    } finally {
      zip.close();
    }
    await store.packages.putPackageFile(ref, spool, sha256(zipBytes));
    return { spoolIno };
  }

  /** Every file under bits/ (not directories), relative and sorted: what is left on disk, nothing hidden. */
  async function filesOnDisk(): Promise<string[]> {
    const entries = await readdir(bits, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => !entry.isDirectory())
      .map((entry) => relative(bits, join(entry.parentPath, entry.name)))
      .sort();
  }

  const blobPath = (hex: string): string => join('sha256', hex);
  const packagePath = (guid: string, hex: string): string => join('packages', guid, hex);
  const keptZipPaths = (hex: string): string[] => [join('resources', 'zips', `${hex}.index`), join('resources', 'zips', `${hex}.zip`)];

  /** Makes the cache evict the least recently used zip: keeps another file that leaves no room for it. */
  async function evictTheZip(): Promise<Buffer> {
    const other = randomBytes(40_000);
    expect(await cache.keepContent(other)).to.deep.equal(fingerprint(other));
    return other;
  }

  async function readThroughCache(): Promise<Buffer | undefined> {
    const stream = await cache.open(fingerprint(content));
    return stream === undefined ? undefined : buffer(stream);
  }

  it('keeps the zip as a hard link to the spool: the blob, the package and the cache share one inode', async () => {
    const zipBytes = await zipOf(content);
    const hex = sha256(zipBytes);
    const { spoolIno } = await upload(packageRef('p1'), zipBytes);
    const kept = await stat(join(bits, 'resources', 'zips', `${hex}.zip`));
    expect(kept.ino).to.equal(spoolIno);
    expect((await stat(join(bits, blobPath(hex)))).ino).to.equal(spoolIno);
    expect(kept.nlink).to.equal(3);
    expect(kept.mode & 0o777).to.equal(0o600);
    expect(cache.heldBytes).to.equal(zipBytes.length); // bytes on disk, counted as before
    expect(await filesOnDisk()).to.deep.equal([...keptZipPaths(hex), packagePath('p1', hex), blobPath(hex)].sort());
    expect(await readThroughCache()).to.deep.equal(content);
  });

  it('removes the blob with the last package while the cache holds the zip; the cache still reads it; eviction then leaves nothing', async () => {
    const zipBytes = await zipOf(content);
    const hex = sha256(zipBytes);
    await upload(packageRef('p1'), zipBytes);
    await store.packages.deletePackageBits(packageRef('p1'));
    expect(await filesOnDisk()).to.deep.equal(keptZipPaths(hex));
    expect((await stat(join(bits, 'resources', 'zips', `${hex}.zip`))).nlink).to.equal(1);
    expect(await readThroughCache()).to.deep.equal(content);
    const other = await evictTheZip();
    expect(await readThroughCache()).to.equal(undefined);
    expect(await filesOnDisk()).to.deep.equal([join('resources', sha1(other))]);
  });

  it('leaves the packages alone when the cache evicts the zip, and removes the blob with the last of them', async () => {
    const zipBytes = await zipOf(content);
    const hex = sha256(zipBytes);
    await upload(packageRef('p1'), zipBytes);
    await store.packages.putPackageFile(packageRef('p2'), await spoolOf(zipBytes));
    const other = await evictTheZip();
    expect(await filesOnDisk()).to.deep.equal(
      [packagePath('p1', hex), packagePath('p2', hex), join('resources', sha1(other)), blobPath(hex)].sort(),
    );
    expect((await stat(join(bits, blobPath(hex)))).nlink).to.equal(3);
    await store.packages.deletePackageBits(packageRef('p1'));
    expect(await buffer((await store.packages.openPackageBits(packageRef('p2'))).stream)).to.deep.equal(zipBytes);
    expect(await filesOnDisk()).to.deep.equal([packagePath('p2', hex), join('resources', sha1(other)), blobPath(hex)].sort());
    await store.packages.deletePackageBits(packageRef('p2'));
    expect(await filesOnDisk()).to.deep.equal([join('resources', sha1(other))]);
  });

  it('keeps the blob while one of two packages still links it, the cache counting as no package', async () => {
    const zipBytes = await zipOf(content);
    const hex = sha256(zipBytes);
    await upload(packageRef('p1'), zipBytes);
    await store.packages.putPackageFile(packageRef('p2'), await spoolOf(zipBytes));
    await store.packages.deletePackageBits(packageRef('p1'));
    expect(await filesOnDisk()).to.deep.equal([...keptZipPaths(hex), packagePath('p2', hex), blobPath(hex)].sort());
    await store.packages.deletePackageBits(packageRef('p2'));
    expect(await filesOnDisk()).to.deep.equal(keptZipPaths(hex));
    expect(await readThroughCache()).to.deep.equal(content);
  });

  it('removes the old blob when a package gets new bits and the cache holds the old zip', async () => {
    const zipBytes = await zipOf(content);
    const hex = sha256(zipBytes);
    await upload(packageRef('p1'), zipBytes);
    const newer = await store.packages.putPackageFile(packageRef('p1'), await spoolOf(Buffer.from('other bits')));
    const newHex = newer.digest.slice('sha256:'.length);
    expect(await filesOnDisk()).to.deep.equal([...keptZipPaths(hex), packagePath('p1', newHex), blobPath(newHex)].sort());
    expect(await readThroughCache()).to.deep.equal(content);
  });

  it('ends with nothing left whichever way the last package delete and an eviction interleave', async () => {
    for (let ticks = 0; ticks < 12; ticks += 1) {
      const file = randomBytes(40_000);
      const zipBytes = await zipOf(file);
      await upload(packageRef(`race-${ticks}`), zipBytes);
      let other: Buffer | undefined;
      await Promise.all([
        store.packages.deletePackageBits(packageRef(`race-${ticks}`)),
        (async () => {
          for (let tick = 0; tick < ticks; tick += 1) await new Promise((resolve) => setImmediate(resolve));
          other = await evictTheZip();
        })(),
      ]);
      expect(await filesOnDisk(), `after ${ticks} ticks`).to.deep.equal([join('resources', sha1(other!))]);
      await rm(join(bits, 'resources', sha1(other!)));
      await store.close();
      await open(); // a fresh cache, forgetting the file removed under it
    }
  });

  it('copies the zip where it cannot be linked (another filesystem), and the lifecycle holds the same', async () => {
    // /dev/shm (tmpfs) is the other filesystem; a machine without it fails here rather than skip the test.
    const elsewhere = await mkdtemp(join('/dev/shm', 'cfapi-bits-'));
    try {
      const zipBytes = await zipOf(content);
      const hex = sha256(zipBytes);
      const { spoolIno } = await upload(packageRef('p1'), zipBytes, elsewhere);
      const kept = await stat(join(bits, 'resources', 'zips', `${hex}.zip`));
      expect(kept.nlink).to.equal(1);
      expect(kept.ino).to.not.equal(spoolIno);
      expect(kept.mode & 0o777).to.equal(0o600);
      expect(cache.heldBytes).to.equal(zipBytes.length);
      expect(await readdir(elsewhere)).to.deep.equal([]);
      expect(await filesOnDisk()).to.deep.equal([...keptZipPaths(hex), packagePath('p1', hex), blobPath(hex)].sort());
      await store.packages.deletePackageBits(packageRef('p1'));
      expect(await filesOnDisk()).to.deep.equal(keptZipPaths(hex));
      expect(await readThroughCache()).to.deep.equal(content);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('finds the linked zip again after a restart, and still counts it as no package', async () => {
    const zipBytes = await zipOf(content);
    const hex = sha256(zipBytes);
    await upload(packageRef('p1'), zipBytes);
    await writeFile(join(bits, 'resources', 'zips', '.tmp-left-by-a-crash'), 'partial');
    await store.close();
    await open();
    expect(cache.heldBytes).to.equal(zipBytes.length);
    expect(await readThroughCache()).to.deep.equal(content);
    expect(await filesOnDisk()).to.deep.equal([...keptZipPaths(hex), packagePath('p1', hex), blobPath(hex)].sort());
    await store.packages.deletePackageBits(packageRef('p1'));
    expect(await filesOnDisk()).to.deep.equal(keptZipPaths(hex));
    await evictTheZip();
    expect((await filesOnDisk()).filter((path) => path.includes(hex))).to.deep.equal([]);
  });

  /** A spool of `zipBytes` for a plain putPackageFile (no cache involved). */
  async function spoolOf(zipBytes: Buffer): Promise<string> {
    const spool = join(bits, 'uploads', `spool-${randomBytes(6).toString('hex')}.zip`);
    await writeFile(spool, zipBytes, { mode: 0o600 });
    return spool;
  }
});
