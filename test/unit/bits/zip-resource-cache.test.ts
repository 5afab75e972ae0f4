import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { FileResourceCache } from '../../../src/bits/embedded/file-resource-cache.ts';
import { checkZipContents } from '../../../src/bits/upload/check-zip-contents.ts';
import { readPackageZip } from '../../../src/bits/upload/read-package-zip.ts';
import { makeZip, temporaryDirectory, writeTemporaryZip, type ZipItem } from './zip-fixtures.ts';

const sha1 = (content: Buffer): string => createHash('sha1').update(content).digest('hex');
const sha256 = (content: Buffer): string => createHash('sha256').update(content).digest('hex');
const fingerprint = (content: Buffer): { sha1: string; sizeBytes: number } => ({ sha1: sha1(content), sizeBytes: content.length });
const limits = { maxUncompressedBytes: 64 * 1024 * 1024, maxEntries: 100 };

describe('the resource-match cache (embedded): files kept inside their checked zip', () => {
  let root: string;
  let directory: string;
  beforeEach(async () => {
    root = await temporaryDirectory();
    directory = join(root, 'resources');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function cacheOf(maxBytes: number): Promise<FileResourceCache> {
    const cache = new FileResourceCache(directory, maxBytes);
    await cache.prepare();
    return cache;
  }

  /** Checks a zip as an upload is checked, keeping its files in `cache`; returns the zip's bytes. */
  async function checkAndKeep(cache: FileResourceCache, items: ZipItem[], name = 'upload.zip'): Promise<Buffer> {
    const bytes = await makeZip(items);
    const file = await writeTemporaryZip(root, bytes, name);
    const zip = await readPackageZip(file, limits);
    try {
      const files = await checkZipContents(zip, limits, { fingerprints: true });
      expect(await zip.localHeadersAgree()).to.equal(true);
      await cache.keepZipFiles({ path: file, sha256: sha256(bytes) }, files);
    } finally {
      zip.close();
    }
    return bytes;
  }

  const small = Buffer.from('module.exports = 42;\n'.repeat(20));
  const smallStored = Buffer.from('stored as it is\n');
  const largeText = Buffer.from('a line of text that deflates well, as source code does\n'.repeat(40_000)); // 2.2 MB
  const largeRandom = randomBytes(1_300_000);

  it('keeps the zip privately, a hard link to it, and reads each file out of it: deflated and stored, small and streamed', async () => {
    const cache = await cacheOf(64 * 1024 * 1024);
    const zip = await checkAndKeep(cache, [
      { directory: 'lib' },
      { path: 'lib/small.js', content: small },
      { path: 'stored.txt', content: smallStored, compress: false },
      { path: 'large.txt', content: largeText },
      { path: 'large.bin', content: largeRandom, compress: false },
      { path: 'empty', content: '' },
    ]);
    const { ino } = await stat(join(root, 'upload.zip'));
    expect((await stat(join(directory, 'zips', `${sha256(zip)}.zip`))).ino).to.equal(ino);
    await rm(join(root, 'upload.zip'));
    const files = [small, smallStored, largeText, largeRandom];
    expect(await cache.held([...files.map(fingerprint), { sha1: sha1(small), sizeBytes: 1 }])).to.deep.equal(files.map(fingerprint));
    for (const content of files) expect(await buffer((await cache.open(fingerprint(content)))!)).to.deep.equal(content);
    expect((await readdir(join(directory, 'zips'))).sort()).to.deep.equal([`${sha256(zip)}.index`, `${sha256(zip)}.zip`]);
    expect(((await stat(join(directory, 'zips', `${sha256(zip)}.zip`))).mode & 0o777).toString(8)).to.equal('600');
    expect(cache.heldBytes).to.equal(zip.length);
  });

  it('counts a kept zip by its size and lets it go as a whole, least recently used first', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map(() => randomBytes(40_000)) as [Buffer, Buffer, Buffer];
    const cache = await cacheOf(100_000);
    const zipA = await checkAndKeep(cache, [{ path: 'a', content: a }], 'a.zip');
    const zipB = await checkAndKeep(cache, [{ path: 'b', content: b }], 'b.zip');
    expect(await cache.held([fingerprint(a)])).to.have.length(1); // a's zip is now more recent than b's
    const zipC = await checkAndKeep(cache, [{ path: 'c', content: c }], 'c.zip');
    expect(await cache.held([fingerprint(a), fingerprint(b), fingerprint(c)])).to.deep.equal([fingerprint(a), fingerprint(c)]);
    expect(await cache.open(fingerprint(b))).to.equal(undefined);
    expect((await readdir(join(directory, 'zips'))).sort()).to.deep.equal(
      [`${sha256(zipA)}.index`, `${sha256(zipA)}.zip`, `${sha256(zipC)}.index`, `${sha256(zipC)}.zip`].sort(),
    );
    expect(cache.heldBytes).to.equal(zipA.length + zipC.length);
    expect(zipB.length).to.be.greaterThan(0);
  });

  it('does not keep a zip larger than the whole bound', async () => {
    const cache = await cacheOf(10_000);
    await checkAndKeep(cache, [{ path: 'big', content: randomBytes(20_000) }]);
    expect(cache.heldBytes).to.equal(0);
    expect(await readdir(directory)).to.deep.equal([]);
  });

  it('points a file kept on its own and in a zip at the zip, dropping the separate file', async () => {
    const cache = await cacheOf(1024 * 1024);
    await cache.keepContent(small);
    expect(await readdir(directory)).to.deep.equal([sha1(small)]);
    await checkAndKeep(cache, [{ path: 'small.js', content: small }]);
    expect(await readdir(directory)).to.deep.equal(['zips']);
    expect(await buffer((await cache.open(fingerprint(small)))!)).to.deep.equal(small);
    expect(await cache.keepContent(small)).to.deep.equal(fingerprint(small));
    expect(await readdir(directory)).to.deep.equal(['zips']);
  });

  it('finds kept zips again after a restart, and drops a zip without its index, a lone index and temporary files', async () => {
    const before = await cacheOf(1024 * 1024);
    const zip = await checkAndKeep(before, [{ path: 'small.js', content: small }]);
    const zips = join(directory, 'zips');
    await writeFile(join(zips, `${'1'.repeat(64)}.zip`), 'a zip whose index was never written');
    await writeFile(join(zips, `${'2'.repeat(64)}.index`), '[]');
    await writeFile(join(zips, '.tmp-partial'), 'x');
    const after = await cacheOf(1024 * 1024);
    expect(await after.held([fingerprint(small)])).to.deep.equal([fingerprint(small)]);
    expect(await buffer((await after.open(fingerprint(small)))!)).to.deep.equal(small);
    expect((await readdir(zips)).sort()).to.deep.equal([`${sha256(zip)}.index`, `${sha256(zip)}.zip`]);
  });
});
