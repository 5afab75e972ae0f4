import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import yauzl from 'yauzl';
import '../../../src/bits/upload/native-crc32.ts';
import yazl from 'yazl';

/** The CRC-32 of zip files, bit by bit: the reference the zips yazl writes are held to. */
function referenceCrc32(content: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of content) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('zips written with the native CRC-32', () => {
  it('carry the right CRC-32 for entries added as buffers and as streams of several pieces', async () => {
    const contents = [randomBytes(100_000), Buffer.from('text '.repeat(3000)), Buffer.alloc(0), randomBytes(70_000)];
    const zip = new yazl.ZipFile();
    zip.addBuffer(contents[0]!, 'buffer.bin', { compress: false });
    zip.addBuffer(contents[1]!, 'deflated.txt', { compress: true });
    zip.addBuffer(contents[2]!, 'empty', { compress: false });
    zip.addReadStream(Readable.from([contents[3]!.subarray(0, 1000), contents[3]!.subarray(1000)]), 'stream.bin', { compress: false });
    zip.end();
    const bytes = await buffer(zip.outputStream);
    const entries = await new Promise<yauzl.Entry[]>((resolve, reject) =>
      yauzl.fromBuffer(bytes, { lazyEntries: false }, (error, file) => {
        if (error) return reject(error);
        const found: yauzl.Entry[] = [];
        file.on('entry', (entry: yauzl.Entry) => found.push(entry));
        file.on('end', () => resolve(found));
      }),
    );
    expect(entries.map((entry) => entry.crc32)).to.deep.equal(contents.map(referenceCrc32));
  });
});
