import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { openEmbeddedBitsStore } from '../../../src/bits/embedded/embedded-bits-store.ts';
import { FileResourceCache } from '../../../src/bits/embedded/file-resource-cache.ts';
import { temporaryDirectory } from './zip-fixtures.ts';

const sha1 = (content: Buffer): string => createHash('sha1').update(content).digest('hex');
const fingerprint = (content: Buffer): { sha1: string; sizeBytes: number } => ({ sha1: sha1(content), sizeBytes: content.length });

describe('the resource-match cache (embedded)', () => {
  let directory: string;
  beforeEach(async () => {
    directory = join(await temporaryDirectory(), 'resources');
  });
  afterEach(async () => {
    await rm(join(directory, '..'), { recursive: true, force: true });
  });

  async function cacheOf(maxBytes: number): Promise<FileResourceCache> {
    const cache = new FileResourceCache(directory, maxBytes);
    await cache.prepare();
    return cache;
  }

  it('keeps a file under the SHA-1 it computes, privately, and gives it back', async () => {
    const cache = await cacheOf(1000);
    const content = Buffer.from('module.exports = 42;\n');
    expect(await cache.keep(Readable.from([content]))).to.deep.equal(fingerprint(content));
    expect(((await stat(join(directory, sha1(content)))).mode & 0o777).toString(8)).to.equal('600');
    expect(await cache.held([fingerprint(content), { sha1: 'f'.repeat(40), sizeBytes: 3 }])).to.deep.equal([fingerprint(content)]);
    expect(await buffer((await cache.open(fingerprint(content)))!)).to.deep.equal(content);
  });

  it('keeps a whole content as keep does, writing content it already holds no second time', async () => {
    const cache = await cacheOf(1000);
    const content = Buffer.from('module.exports = 43;\n');
    expect(await cache.keepContent(content)).to.deep.equal(fingerprint(content));
    expect(((await stat(join(directory, sha1(content)))).mode & 0o777).toString(8)).to.equal('600');
    const written = (await stat(join(directory, sha1(content)))).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await cache.keepContent(content)).to.deep.equal(fingerprint(content));
    expect((await stat(join(directory, sha1(content)))).mtimeMs).to.equal(written);
    expect(await buffer((await cache.open(fingerprint(content)))!)).to.deep.equal(content);
    expect(await cache.keepContent(Buffer.alloc(0))).to.equal(undefined);
    expect(await cache.keepContent(Buffer.alloc(1001))).to.equal(undefined);
    expect((await readdir(directory)).sort()).to.deep.equal([sha1(content)]);
  });

  it('does not match a file whose size differs from the one held', async () => {
    const cache = await cacheOf(1000);
    const content = Buffer.from('abc');
    await cache.keep(Readable.from([content]));
    expect(await cache.held([{ sha1: sha1(content), sizeBytes: 4 }])).to.deep.equal([]);
    expect(await cache.open({ sha1: sha1(content), sizeBytes: 4 })).to.equal(undefined);
  });

  it('stays within its bound, forgetting and removing the least recently used files first', async () => {
    const cache = await cacheOf(100);
    const [a, b, c] = ['a', 'b', 'c'].map((letter) => Buffer.alloc(40, letter)) as [Buffer, Buffer, Buffer];
    await cache.keep(Readable.from([a]));
    await cache.keep(Readable.from([b]));
    expect(await cache.held([fingerprint(a)])).to.have.length(1); // a is now more recent than b
    await cache.keep(Readable.from([c]));
    expect(cache.heldBytes).to.equal(80);
    expect(await cache.held([fingerprint(a), fingerprint(b), fingerprint(c)])).to.deep.equal([fingerprint(a), fingerprint(c)]);
    expect((await readdir(directory)).sort()).to.deep.equal([sha1(a), sha1(c)].sort());
  });

  it('does not keep an empty file or one larger than the whole bound', async () => {
    const cache = await cacheOf(100);
    expect(await cache.keep(Readable.from([Buffer.alloc(101)]))).to.equal(undefined);
    expect(await cache.keep(Readable.from([Buffer.alloc(0)]))).to.equal(undefined);
    expect(await readdir(directory)).to.deep.equal([]);
    expect(cache.heldBytes).to.equal(0);
  });

  it('keeps a file it already holds once', async () => {
    const cache = await cacheOf(100);
    const content = Buffer.alloc(30, 'x');
    await cache.keep(Readable.from([content]));
    expect(await cache.keep(Readable.from([content]))).to.deep.equal(fingerprint(content));
    expect(cache.heldBytes).to.equal(30);
    expect(await readdir(directory)).to.deep.equal([sha1(content)]);
  });

  it('finds the files of an earlier run again, within the bound, and drops leftovers', async () => {
    const before = await cacheOf(1000);
    const [a, b] = [Buffer.alloc(60, 'a'), Buffer.alloc(60, 'b')];
    await before.keep(Readable.from([a]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await before.keep(Readable.from([b]));

    await writeFile(join(directory, '.tmp-partial'), 'x');
    const after = await cacheOf(100);
    expect(await after.held([fingerprint(a), fingerprint(b)])).to.deep.equal([fingerprint(b)]);
    expect(await readdir(directory)).to.deep.equal([sha1(b)]);
  });

  it('leaves no file behind when the stream it keeps fails', async () => {
    const cache = await cacheOf(1000);
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('half');
      throw new Error('gone');
    }
    const error = await cache.keep(Readable.from(failing())).catch((caught: unknown) => caught);
    expect(error).to.have.property('message', 'gone');
    expect(await readdir(directory)).to.deep.equal([]);
  });

  it('is switched off by a bound of 0: nothing kept, nothing matched', async () => {
    const dataDir = join(directory, '..');
    const store = await openEmbeddedBitsStore({ dataDir, resourceCacheBytes: 0 });
    const content = Buffer.from('some file');
    expect(await store.resources.keep(Readable.from([content]))).to.equal(undefined);
    expect(await store.resources.held([fingerprint(content)])).to.deep.equal([]);
    expect(await readdir(join(dataDir, 'bits'))).to.not.include('resources');
  });
});
