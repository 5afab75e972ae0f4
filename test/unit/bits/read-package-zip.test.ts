import { expect } from 'chai';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { InvalidPackageBits } from '../../../src/bits/bits-errors.ts';
import type { PackageZipLimits } from '../../../src/bits/upload/package-zip-limits.ts';
import { readPackageZip, type CheckedPackageZip } from '../../../src/bits/upload/read-package-zip.ts';
import { declareUncompressedSize, makeZip, renameEntry, temporaryDirectory, writeTemporaryZip } from './zip-fixtures.ts';

const roomy: PackageZipLimits = { maxUncompressedBytes: 1024 * 1024, maxEntries: 100 };

describe('readPackageZip', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await temporaryDirectory();
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function refusal(bytes: Buffer, limits = roomy): Promise<string> {
    const file = await writeTemporaryZip(directory, bytes);
    try {
      const zip = await readPackageZip(file, limits);
      await readEveryFile(zip);
    } catch (error) {
      expect(error).to.be.instanceOf(InvalidPackageBits);
      return (error as InvalidPackageBits).detail;
    }
    throw new Error('the zip was accepted');
  }

  it('lists files, directories and links inside the root with their modes', async () => {
    const file = await writeTemporaryZip(
      directory,
      await makeZip([
        { directory: 'bin', mode: 0o755 },
        { path: 'bin/run', content: '#!/bin/sh\n', mode: 0o755 },
        { path: 'app.js', content: 'console.log(1)', mode: 0o444 },
        { link: 'bin/app', target: '../app.js' },
      ]),
    );
    const zip = await readPackageZip(file, roomy);
    try {
      expect(zip.entries.map(({ kind, path }) => `${kind} ${path}`)).to.deep.equal([
        'directory bin',
        'file bin/run',
        'file app.js',
        'symlink bin/app',
      ]);
      expect(zip.entries.map((entry) => ('mode' in entry ? entry.mode.toString(8) : 'link'))).to.deep.equal(['755', '755', '644', 'link']);
      expect(zip.declaredBytes).to.equal('#!/bin/sh\n'.length + 'console.log(1)'.length);
      expect(await readEveryFile(zip)).to.deep.equal(['#!/bin/sh\n', 'console.log(1)']);
    } finally {
      zip.close();
    }
  });

  it('refuses a body that is not a zip', async () => {
    expect(await refusal(Buffer.from('this is not a zip file, just text'))).to.equal('The uploaded package is not a valid zip file.');
    expect(await refusal(Buffer.alloc(0))).to.equal('The uploaded package is not a valid zip file.');
  });

  it('refuses a truncated zip', async () => {
    const whole = await makeZip([{ path: 'a.txt', content: 'a'.repeat(1000) }]);
    expect(await refusal(whole.subarray(0, whole.length - 30))).to.equal('The uploaded package is not a valid zip file.');
  });

  const escapingNames: [string, string, string][] = [
    ['a "../" path', 'XX/evil.txt', '../evil.txt'],
    ['a "../" segment deeper down', 'a/XX/XX/evil', 'a/../../evil'],
    ['an absolute path', 'Xetc/passwd', '/etc/passwd'],
    ['a drive letter', 'XX/evil.txt', 'C:/evil.txt'],
    ['a backslash escape', 'XXXevil.txt', '..\\evil.txt'],
    ['a backslash inside a name', 'aXb.txt', 'a\\b.txt'],
  ];
  for (const [what, placeholder, evil] of escapingNames) {
    it(`refuses an entry with ${what} (${evil})`, async () => {
      const zip = renameEntry(
        await makeZip([
          { path: 'ok.txt', content: 'fine' },
          { path: placeholder, content: 'gotcha' },
        ]),
        placeholder,
        evil,
      );
      expect(await refusal(zip)).to.match(/^The uploaded package has an entry outside its root directory \(.+\): '.+'\.$/);
      expect(await refusal(zip)).to.include(JSON.stringify(evil).slice(1, -1));
    });
  }

  it('refuses symbolic links pointing outside the root, relative or absolute', async () => {
    expect(await refusal(await makeZip([{ link: 'config', target: '../../etc/passwd' }]))).to.equal(
      "The uploaded package has a symbolic link pointing outside its root directory (a target outside the package): 'config' -> '../../etc/passwd'.",
    );
    expect(await refusal(await makeZip([{ link: 'a/b/up', target: '../../../x' }]))).to.include('a target outside the package');
    expect(await refusal(await makeZip([{ link: 'config', target: '/etc/passwd' }]))).to.include('(an absolute target)');
    expect(await refusal(await makeZip([{ link: 'config', target: '..\\..\\x' }]))).to.include('backslash');
  });

  it('accepts a symbolic link that stays inside the root', async () => {
    const file = await writeTemporaryZip(directory, await makeZip([{ link: 'a/b/link', target: '../../c/file' }]));
    const zip = await readPackageZip(file, roomy);
    zip.close();
    expect(zip.entries).to.deep.equal([{ kind: 'symlink', path: 'a/b/link', target: '../../c/file' }]);
  });

  it('refuses more entries than the limit, before reading them', async () => {
    const items = Array.from({ length: 6 }, (_, index) => ({ path: `f${index}`, content: 'x' }));
    expect(await refusal(await makeZip(items), { ...roomy, maxEntries: 5 })).to.equal('The uploaded package has more than 5 entries.');
    const file = await writeTemporaryZip(directory, await makeZip(items));
    (await readPackageZip(file, { ...roomy, maxEntries: 6 })).close();
  });

  it('refuses files whose declared sizes add up to more than the limit (a zip bomb)', async () => {
    const bomb = await makeZip([
      { path: 'a', content: Buffer.alloc(600) },
      { path: 'b', content: Buffer.alloc(600) },
    ]);
    expect(await refusal(bomb, { ...roomy, maxUncompressedBytes: 1000 })).to.equal('The uploaded package unpacks to more than 1000 bytes.');
  });

  it('refuses a file that inflates to more than it declares (a zip bomb that lies)', async () => {
    const liar = declareUncompressedSize(await makeZip([{ path: 'zeros', content: Buffer.alloc(1024 * 1024) }]), 100);
    expect(await refusal(liar)).to.equal("The uploaded package's entry 'zeros' holds a different number of bytes than it declares.");
  });

  it('refuses a stored file that declares more than it holds', async () => {
    const liar = declareUncompressedSize(await makeZip([{ path: 'short', content: 'abc', compress: false }]), 3000);
    const detail = await refusal(liar);
    expect(detail).to.match(/^The uploaded package('s entry 'short'| is not a valid zip file)/);
  });

  it('refuses a path that appears twice', async () => {
    const zip = await makeZip([
      { path: 'same', content: '1' },
      { path: 'same', content: '2' },
    ]);
    expect(await refusal(zip)).to.equal("The uploaded package holds the path 'same' twice.");
  });

  it('refuses special files (a FIFO)', async () => {
    const zip = await makeZip([{ path: 'pipe', content: '', mode: 0o644 }]);
    // Turn the regular file's type bits (0o100000) into a FIFO's (0o010000) in the central directory.
    const fifo = Buffer.from(zip);
    const at = fifo.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    fifo.writeUInt32LE(((0o010000 | 0o644) << 16) >>> 0, at + 38);
    expect(await refusal(fifo)).to.equal(
      "The uploaded package has an entry that is neither a file, a directory nor a symbolic link: 'pipe'.",
    );
  });

  it('names the corrupt entry when its compressed data is damaged', async () => {
    const zip = await makeZip([{ path: 'data.bin', content: Buffer.from('hello '.repeat(2000)) }]);
    const damaged = Buffer.from(zip);
    const dataStart = 30 + 'data.bin'.length;
    for (let index = dataStart; index < dataStart + 40; index += 1) damaged[index] = 0xff;
    expect(await refusal(damaged)).to.equal("The uploaded package's entry 'data.bin' cannot be read: the zip file is corrupt.");
  });

  it('is not fooled by a file that only looks like a zip by its name', async () => {
    const file = join(directory, 'package.zip');
    await writeFile(file, 'PK\u0003\u0004 but nothing more');
    const error = await readPackageZip(file, roomy).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(InvalidPackageBits);
    expect((error as InvalidPackageBits).toApiError()).to.include({ status: 422, code: 10008, title: 'CF-UnprocessableEntity' });
  });
});

async function readEveryFile(zip: CheckedPackageZip): Promise<string[]> {
  const contents: string[] = [];
  try {
    for (const entry of zip.entries) {
      if (entry.kind === 'file') contents.push((await buffer(await zip.openFile(entry))).toString());
    }
  } finally {
    zip.close();
  }
  return contents;
}
