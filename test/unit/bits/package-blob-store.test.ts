import { expect } from 'chai';
import { rmSync } from 'node:fs';
import { link, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createHash } from 'node:crypto';
import { PackageBitsNotFound } from '../../../src/bits/bits-errors.ts';
import type { BitsStore } from '../../../src/bits/bits-store.ts';
import { openEmbeddedBitsStore } from '../../../src/bits/embedded/embedded-bits-store.ts';
import { PackageBlobStore } from '../../../src/bits/embedded/package-blob-store.ts';
import { temporaryDirectory } from './zip-fixtures.ts';

const first = { appGuid: 'app-1', packageGuid: 'package-1' };
const second = { appGuid: 'app-1', packageGuid: 'package-2' };

describe('the embedded package bits store', () => {
  let dataDir: string;
  let store: BitsStore;
  beforeEach(async () => {
    dataDir = await temporaryDirectory();
    store = await openEmbeddedBitsStore({ dataDir, resourceCacheBytes: 1024 });
  });
  afterEach(async () => {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const blobs = (): Promise<string[]> => readdir(join(dataDir, 'bits', 'sha256'));

  it('stores a stream under its sha256 in a private file, and reads it back', async () => {
    const content = Buffer.from('zip bytes '.repeat(1000));
    const stored = await store.packages.putPackageBits(first, Readable.from([content.subarray(0, 10), content.subarray(10)]));
    const hex = createHash('sha256').update(content).digest('hex');
    expect(stored).to.deep.equal({ digest: `sha256:${hex}`, sizeBytes: content.length });
    expect(await blobs()).to.deep.equal([hex]);
    expect((await stat(join(dataDir, 'bits', 'sha256', hex))).mode & 0o777).to.equal(0o600);
    expect((await stat(join(dataDir, 'bits'))).mode & 0o777).to.equal(0o700);
    const opened = await store.packages.openPackageBits(first);
    expect(opened.digest).to.equal(stored.digest);
    expect(opened.sizeBytes).to.equal(content.length);
    expect(await buffer(opened.stream)).to.deep.equal(content);
  });

  it('leaves no blob and no temporary file when the stream fails midway', async () => {
    async function* interrupted(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(64 * 1024, 1);
      yield Buffer.alloc(64 * 1024, 2);
      throw new Error('the client went away');
    }
    const error = await store.packages.putPackageBits(first, Readable.from(interrupted())).catch((caught: unknown) => caught);
    expect(error).to.have.property('message', 'the client went away');
    expect(await blobs()).to.deep.equal([]);
    expect(await readdir(join(dataDir, 'bits', 'packages'))).to.deep.equal([]);
    const notFound = await store.packages.openPackageBits(first).catch((caught: unknown) => caught);
    expect(notFound).to.be.instanceOf(PackageBitsNotFound);
  });

  it('keeps one blob for two packages with the same content, until the last of them is deleted', async () => {
    await store.packages.putPackageBits(first, Readable.from([Buffer.from('same')]));
    await store.packages.putPackageBits(second, Readable.from([Buffer.from('same')]));
    expect(await blobs()).to.have.length(1);
    await store.packages.deletePackageBits(first);
    expect(await blobs()).to.have.length(1);
    expect((await buffer((await store.packages.openPackageBits(second)).stream)).toString()).to.equal('same');
    await store.packages.deletePackageBits(second);
    expect(await blobs()).to.deep.equal([]);
    expect(await readdir(join(dataDir, 'bits', 'packages'))).to.deep.equal([]);
  });

  it('replaces earlier bits of the same package and removes the blob nobody uses any more', async () => {
    await store.packages.putPackageBits(first, Readable.from([Buffer.from('old')]));
    const stored = await store.packages.putPackageBits(first, Readable.from([Buffer.from('new')]));
    expect(await blobs()).to.deep.equal([stored.digest.slice('sha256:'.length)]);
    expect((await buffer((await store.packages.openPackageBits(first)).stream)).toString()).to.equal('new');
  });

  it('deletes bits that are not there without complaint', async () => {
    await store.packages.deletePackageBits(first);
  });

  it('lets a reader finish what it opened even if the package is deleted meanwhile', async () => {
    await store.packages.putPackageBits(first, Readable.from([Buffer.alloc(200_000, 7)]));
    const opened = await store.packages.openPackageBits(first);
    await store.packages.deletePackageBits(first);
    expect((await buffer(opened.stream)).length).to.equal(200_000);
    expect(await blobs()).to.deep.equal([]);
  });

  it('refuses a package GUID that would name a path outside its directory', async () => {
    const error = await store.packages
      .putPackageBits({ appGuid: 'a', packageGuid: '../escape' }, Readable.from([Buffer.from('x')]))
      .catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(Error);
    expect(await blobs()).to.deep.equal([]);
  });

  it('removes temporary files a killed process left, when it opens', async () => {
    await writeFile(join(dataDir, 'bits', 'sha256', '.tmp-left-by-a-crash'), 'partial');
    await writeFile(join(dataDir, 'bits', 'uploads', 'upload-left.zip'), 'partial');
    await openEmbeddedBitsStore({ dataDir, resourceCacheBytes: 1024 });
    expect(await blobs()).to.deep.equal([]);
    expect(await readdir(join(dataDir, 'bits', 'uploads'))).to.deep.equal([]);
  });

  it('takes over a complete file without copying it: the file moves into the store', async () => {
    const content = Buffer.from('a spooled upload');
    const spooled = join(dataDir, 'bits', 'uploads', 'upload.zip');
    await writeFile(spooled, content, { mode: 0o600 });
    const { ino } = await stat(spooled);
    const stored = await store.packages.putPackageFile(first, spooled);
    const hex = createHash('sha256').update(content).digest('hex');
    expect(stored).to.deep.equal({ digest: `sha256:${hex}`, sizeBytes: content.length });
    expect((await stat(join(dataDir, 'bits', 'sha256', hex))).ino).to.equal(ino);
    expect(await readdir(join(dataDir, 'bits', 'uploads'))).to.deep.equal([]);
  });

  it('copies a file it takes over from another filesystem, and removes the original', async () => {
    // /dev/shm (tmpfs) is the other filesystem; a machine without it fails here rather than skip the test.
    const elsewhere = await mkdtemp(join('/dev/shm', 'cfapi-bits-'));
    try {
      const spooled = join(elsewhere, 'upload.zip');
      await writeFile(spooled, 'from tmpfs');
      const stored = await store.packages.putPackageFile(first, spooled);
      expect(stored.sizeBytes).to.equal('from tmpfs'.length);
      expect((await buffer((await store.packages.openPackageBits(first)).stream)).toString()).to.equal('from tmpfs');
      expect(await readdir(elsewhere)).to.deep.equal([]);
      expect((await blobs()).filter((name) => name.startsWith('.tmp-'))).to.deep.equal([]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});

describe('the package blob store with links elsewhere (otherLinksOf: the resource cache keeps zips so)', () => {
  let root: string;
  let others: string;
  let store: PackageBlobStore;
  beforeEach(async () => {
    root = await temporaryDirectory();
    others = join(root, 'others');
    await mkdir(others);
    await mkdir(join(root, 'uploads'));
    store = new PackageBlobStore(root, { otherLinksOf: (digest) => [join(others, `${digest}.zip`)] });
    await store.prepare();
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const blobs = (): Promise<string[]> => readdir(join(root, 'sha256'));
  const hexOf = (content: string): string => createHash('sha256').update(content).digest('hex');

  /** Spools `content`, links the spool where `otherLinksOf` looks (as the cache does), then stores it for the package. */
  async function putLinked(packageGuid: string, content: string): Promise<string> {
    const spool = join(root, 'uploads', `${packageGuid}.zip`);
    await writeFile(spool, content, { mode: 0o600 });
    const other = join(others, `${hexOf(content)}.zip`);
    await link(spool, other);
    await store.putPackageFile({ appGuid: 'a', packageGuid }, spool);
    return other;
  }

  it('removes the blob with the last package although the other link holds its inode, which keeps the content', async () => {
    const other = await putLinked('p1', 'linked bits');
    await store.putPackageBits({ appGuid: 'a', packageGuid: 'p2' }, Readable.from([Buffer.from('linked bits')]));
    expect((await stat(other)).nlink).to.equal(4);
    await store.deletePackageBits({ appGuid: 'a', packageGuid: 'p1' });
    expect(await blobs()).to.deep.equal([hexOf('linked bits')]);
    await store.deletePackageBits({ appGuid: 'a', packageGuid: 'p2' });
    expect(await blobs()).to.deep.equal([]);
    expect(await readdir(join(root, 'packages'))).to.deep.equal([]);
    expect((await stat(other)).nlink).to.equal(1);
    expect(await readFile(other, 'utf8')).to.equal('linked bits');
  });

  it('does not count a file of the same name that is another inode (a copy)', async () => {
    await store.putPackageBits({ appGuid: 'a', packageGuid: 'p1' }, Readable.from([Buffer.from('copied bits')]));
    await writeFile(join(others, `${hexOf('copied bits')}.zip`), 'copied bits');
    await store.putPackageBits({ appGuid: 'a', packageGuid: 'p2' }, Readable.from([Buffer.from('copied bits')]));
    await store.deletePackageBits({ appGuid: 'a', packageGuid: 'p1' });
    expect(await blobs()).to.deep.equal([hexOf('copied bits')]);
    await store.deletePackageBits({ appGuid: 'a', packageGuid: 'p2' });
    expect(await blobs()).to.deep.equal([]);
    expect(await readdir(others)).to.deep.equal([`${hexOf('copied bits')}.zip`]);
  });

  it('leaves no blob and no package link whenever the other link goes while the last package is deleted', async () => {
    // Each round removes the other link after a different number of event-loop turns: before, during
    // and after the delete's looks at the blob and the other link.
    for (let turns = 0; turns < 40; turns += 1) {
      const other = await putLinked(`p${turns}`, `bits of round ${turns}`);
      await Promise.all([
        store.deletePackageBits({ appGuid: 'a', packageGuid: `p${turns}` }),
        (async () => {
          for (let turn = 0; turn < turns; turn += 1) await new Promise((resolve) => setImmediate(resolve));
          rmSync(other);
        })(),
      ]);
      expect(await blobs(), `removed after ${turns} turns`).to.deep.equal([]);
      expect(await readdir(join(root, 'packages'))).to.deep.equal([]);
      expect(await readdir(others)).to.deep.equal([]);
    }
  });

  it('never removes the blob a package still links whenever the other link goes', async () => {
    for (let turns = 0; turns < 40; turns += 1) {
      const content = `shared bits of round ${turns}`;
      const other = await putLinked(`p${turns}`, content);
      await store.putPackageBits({ appGuid: 'a', packageGuid: `q${turns}` }, Readable.from([Buffer.from(content)]));
      await Promise.all([
        store.deletePackageBits({ appGuid: 'a', packageGuid: `p${turns}` }),
        (async () => {
          for (let turn = 0; turn < turns; turn += 1) await new Promise((resolve) => setImmediate(resolve));
          rmSync(other);
        })(),
      ]);
      expect(await blobs(), `removed after ${turns} turns`).to.deep.equal([hexOf(content)]);
      await store.deletePackageBits({ appGuid: 'a', packageGuid: `q${turns}` });
      expect(await blobs()).to.deep.equal([]);
    }
  });
});
