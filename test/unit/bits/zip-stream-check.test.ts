import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { ZipStreamCheck, type StreamedZipEntries } from '../../../src/bits/upload/zip-stream-check.ts';
import { makeZip, type ZipItem } from './zip-fixtures.ts';

const sha1 = (content: Buffer): string => createHash('sha1').update(content).digest('hex');

/** What the central directory says of each file: the facts a streamed entry must agree with. */
async function directoryOf(
  zipBytes: Buffer,
): Promise<{ path: string; offset: number; compressedSize: number; size: number; method: number }[]> {
  const zip = await yauzl.fromBufferPromise(zipBytes, { lazyEntries: false });
  const files = [];
  for await (const entry of zip.eachEntry()) {
    if (entry.fileName.endsWith('/')) continue;
    files.push({
      path: entry.fileName,
      offset: entry.relativeOffsetOfLocalHeader,
      compressedSize: entry.compressedSize,
      size: entry.uncompressedSize,
      method: entry.compressionMethod,
    });
  }
  return files;
}

/** Feeds the zip in chunks of random sizes (1 byte to `maxChunk`), waiting whenever the check asks to, then finishes. */
async function streamed(zipBytes: Buffer, { maxChunk = 70_000, fingerprints = true, thresholdBytes = 0 } = {}) {
  const check = new ZipStreamCheck({ fingerprints, thresholdBytes });
  for (let offset = 0; offset < zipBytes.length;) {
    const length = 1 + Math.floor(Math.random() * maxChunk);
    const behind = check.write(zipBytes.subarray(offset, offset + length));
    if (behind) await behind;
    offset += length;
  }
  return check.finish();
}

const paths = (entries: StreamedZipEntries | undefined): string[] =>
  [...(entries?.values() ?? [])].map((entry) => Buffer.from(entry.name).toString());

const files: ZipItem[] = [
  { directory: 'lib' },
  { path: 'lib/text.js', content: 'module.exports = 1;\n'.repeat(5000) },
  { path: 'empty', content: '' },
  { path: 'random.bin', content: randomBytes(300_000) },
  { path: 'stored.txt', content: 'kept as it is', compress: false },
  { link: 'lib/link.js', target: 'text.js' },
  { path: 'last.txt', content: 'the end\n' },
];

describe('ZipStreamCheck (reading an uploaded zip while it arrives)', function () {
  this.timeout(20_000);

  for (const dataDescriptors of [false, true]) {
    it(`notes every file as its directory records it${dataDescriptors ? ', with data descriptors as the cf CLI writes them' : ''}`, async () => {
      // Stored entries with a data descriptor cannot be read as they arrive: only without descriptors here.
      const items = dataDescriptors ? files.filter((item) => !('compress' in item)) : files;
      const zipBytes = await makeZip(items, { dataDescriptors });
      const entries = await streamed(zipBytes);
      const directory = await directoryOf(zipBytes);
      expect(paths(entries).filter((path) => !path.endsWith('/'))).to.deep.equal(directory.map((file) => file.path));
      for (const file of directory) {
        const entry = entries!.get(file.offset)!;
        expect(entry, file.path).to.not.equal(undefined);
        const item = items.find(
          (candidate) => ('path' in candidate ? candidate.path : 'link' in candidate ? candidate.link : '') === file.path,
        )!;
        const content = Buffer.from('content' in item ? item.content : 'target' in item ? item.target : '');
        expect({ ...entry, name: Buffer.from(entry.name).toString() }).to.deep.include({
          name: file.path,
          method: file.method,
          compressedSize: file.compressedSize,
          size: file.size,
          sha1: sha1(content),
        });
        expect(zipBytes.readUInt32LE(entry.offset), 'a local header there').to.equal(0x04034b50);
        expect(entry.dataStart).to.equal(entry.offset + 30 + file.path.length + zipBytes.readUInt16LE(entry.offset + 28));
      }
    });
  }

  it('hashes nothing without fingerprints', async () => {
    const entries = await streamed(await makeZip(files));
    const unhashed = await streamed(await makeZip(files), { fingerprints: false });
    expect([...unhashed!.values()].map((entry) => entry.sha1)).to.deep.equal([...entries!.values()].map(() => ''));
  });

  it('finds the end of a file whose data holds its descriptor signature by chance, with a size that does not fit', async () => {
    // Stored blocks of deflate keep the bytes as they are: a false signature followed by sizes of another entry.
    const tricky = Buffer.concat([randomBytes(1000), Buffer.from([0x50, 0x4b, 0x07, 0x08]), Buffer.alloc(12, 0x11), randomBytes(1000)]);
    const zipBytes = await makeZip(
      [
        { path: 'tricky.bin', content: tricky },
        { path: 'after.txt', content: 'after' },
      ],
      { dataDescriptors: true },
    );
    expect(paths(await streamed(zipBytes))).to.deep.equal(['tricky.bin', 'after.txt']);
  });

  it('stops at what it cannot read as it arrives, keeping what it read before', async () => {
    const zipBytes = await makeZip(
      [
        { path: 'first.txt', content: 'first' },
        { path: 'stored.bin', content: 'no end known', compress: false },
        { path: 'later.txt', content: 'later' },
      ],
      { dataDescriptors: true },
    );
    expect(paths(await streamed(zipBytes))).to.deep.equal(['first.txt']);
  });

  it('stops at corrupt data, keeping what it read before', async () => {
    const zipBytes = await makeZip([
      { path: 'good.txt', content: 'good '.repeat(100) },
      { path: 'bad.txt', content: 'bad '.repeat(100) },
      { path: 'later.txt', content: 'later' },
    ]);
    const directory = await directoryOf(zipBytes);
    const bad = directory.find((file) => file.path === 'bad.txt')!;
    const corrupt = Buffer.from(zipBytes);
    // Deflate block type 3 does not exist.
    corrupt[bad.offset + 30 + 'bad.txt'.length + corrupt.readUInt16LE(bad.offset + 28)] = 0xff;
    expect(paths(await streamed(corrupt))).to.deep.equal(['good.txt']);
  });

  it('notes nothing of bytes that are not a zip, and only whole entries of a zip cut short', async () => {
    expect(paths(await streamed(randomBytes(100_000)))).to.deep.equal([]);
    const zipBytes = await makeZip(files, { dataDescriptors: true });
    const lastFile = (await directoryOf(zipBytes)).find((file) => file.path === 'last.txt')!;
    const cut = await streamed(zipBytes.subarray(0, lastFile.offset + 40));
    expect(paths(cut)).to.not.include('last.txt');
    expect(paths(cut)).to.include('lib/text.js');
  });

  it('starts no worker below its threshold', async () => {
    expect(await streamed(await makeZip(files), { thresholdBytes: 10_000_000 })).to.equal(undefined);
  });

  it('makes a writer wait when the worker falls behind, and still reads every file', async () => {
    const many: ZipItem[] = Array.from({ length: 40 }, (_, index) => ({ path: `file${index}`, content: randomBytes(600_000) }));
    const zipBytes = await makeZip(many, { dataDescriptors: true });
    const check = new ZipStreamCheck({ fingerprints: true, thresholdBytes: 0 });
    let waits = 0;
    for (let offset = 0; offset < zipBytes.length; offset += 1024 * 1024) {
      const behind = check.write(zipBytes.subarray(offset, offset + 1024 * 1024));
      if (behind) {
        waits += 1;
        await behind;
      }
    }
    const entries = await check.finish();
    expect(waits, 'written far faster than it reads').to.be.greaterThan(0);
    expect(entries?.size).to.equal(40);
  });

  it('ends its worker when the upload is aborted', async () => {
    const check = new ZipStreamCheck({ fingerprints: true, thresholdBytes: 0 });
    const written = check.write(deflateRawSync(randomBytes(2 * 1024 * 1024)));
    check.abort();
    await written;
    expect(await check.finish()).to.equal(undefined);
  });
});
