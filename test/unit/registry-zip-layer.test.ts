import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import yazl from 'yazl';
import { zipAsTarLayer } from '../../src/store/kubernetes/registry/zip-layer.ts';

type Made = { name: string; content?: string; creator: number; attributes: number };

describe('Zip entries as Korifi’s tar layer', function () {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'cfapi-zip-layer-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  it('reads modes by the system that made each entry: Unix bits, MS-DOS attributes, 0777 for FAT; leaves devices and pipes out', async function () {
    const zipPath = await zipMadeBy(dir, [
      { name: 'ntfs.txt', content: 'a', creator: 11, attributes: 0x20 },
      { name: 'ntfs-readonly.txt', content: 'b', creator: 11, attributes: 0x01 },
      { name: 'ntfs-dir/', creator: 11, attributes: 0x10 },
      { name: 'fat-readonly.txt', content: 'c', creator: 0, attributes: 0x01 },
      { name: 'vfat.txt', content: 'd', creator: 14, attributes: 0 },
      { name: 'other-system.txt', content: 'e', creator: 10, attributes: 0xffff_ffff },
      { name: 'fifo', content: '', creator: 3, attributes: (0o010644 << 16) >>> 0 },
      { name: 'setuid', content: 'f', creator: 3, attributes: (0o104755 << 16) >>> 0 },
    ]);

    const layer: Buffer[] = [];
    for await (const chunk of zipAsTarLayer(zipPath)) layer.push(chunk as Buffer);
    const extract = tar.extract();
    extract.end(Buffer.concat(layer));
    const entries: { name: string; type: string; mode: number }[] = [];
    for await (const entry of extract) {
      entries.push({ name: entry.header.name, type: entry.header.type, mode: entry.header.mode });
      entry.resume();
    }

    expect(entries).to.deep.equal([
      { name: '/ntfs.txt', type: 'file', mode: 0o666 },
      { name: '/ntfs-readonly.txt', type: 'file', mode: 0o444 },
      { name: '/ntfs-dir/', type: 'directory', mode: 0o777 },
      { name: '/fat-readonly.txt', type: 'file', mode: 0o777 },
      { name: '/vfat.txt', type: 'file', mode: 0o777 },
      { name: '/other-system.txt', type: 'file', mode: 0o644 }, // Go writes 0000; tar-stream writes 0 as its default
      { name: '/setuid', type: 'file', mode: 0o4755 },
    ]);
  });
});

/** A zip whose central directory says which system made each entry, with these external attributes. */
async function zipMadeBy(dir: string, made: Made[]): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const entry of made) {
    if (entry.name.endsWith('/')) zip.addEmptyDirectory(entry.name);
    else zip.addBuffer(Buffer.from(entry.content ?? ''), entry.name);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  let index = 0;
  for (let offset = bytes.indexOf(centralHeader); offset >= 0; offset = bytes.indexOf(centralHeader, offset + 4)) {
    const entry = made[index++]!;
    bytes.writeUInt16LE((entry.creator << 8) | 20, offset + 4);
    bytes.writeUInt32LE(entry.attributes, offset + 38);
  }
  expect(index).to.equal(made.length);
  const path = join(dir, `made-by-${Date.now()}.zip`);
  await writeFile(path, bytes);
  return path;
}

const centralHeader = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
