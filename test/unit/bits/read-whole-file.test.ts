import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { InvalidPackageBits } from '../../../src/bits/bits-errors.ts';
import { readPackageZip, wholeFileBytes, type CheckedPackageZip } from '../../../src/bits/upload/read-package-zip.ts';
import { declareUncompressedSize, makeZip, temporaryDirectory, writeTemporaryZip } from './zip-fixtures.ts';

const roomy = { maxUncompressedBytes: 16 * 1024 * 1024, maxEntries: 100 };

describe('readPackageZip: readFile (small files read whole)', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await temporaryDirectory();
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function readAll(bytes: Buffer): Promise<Buffer[]> {
    const zip: CheckedPackageZip = await readPackageZip(await writeTemporaryZip(directory, bytes), roomy);
    try {
      const contents: Buffer[] = [];
      for (const entry of zip.entries) if (entry.kind === 'file') contents.push(await zip.readFile(entry));
      return contents;
    } finally {
      zip.close();
    }
  }

  async function refusal(bytes: Buffer): Promise<string> {
    const error = await readAll(bytes).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).to.be.instanceOf(InvalidPackageBits);
    return (error as InvalidPackageBits).detail;
  }

  it('reads deflated and stored files as they were zipped', async () => {
    const text = Buffer.from('a line of text\n'.repeat(5000));
    const contents = await readAll(
      await makeZip([
        { path: 'deflated.txt', content: text },
        { path: 'stored.bin', content: 'abc', compress: false },
        { path: 'empty', content: '' },
      ]),
    );
    expect(contents.map((content) => content.toString())).to.deep.equal([text.toString(), 'abc', '']);
  });

  it('finds the data of entries whose local headers the checks did not read (a zip to be rebuilt)', async () => {
    // A mode the package changes makes the zip one to rebuild: the checks stop reading local headers there.
    const zip = await readPackageZip(
      await writeTemporaryZip(
        directory,
        await makeZip([
          { path: 'read-only', content: 'first', mode: 0o400 },
          { path: 'second.txt', content: 'second '.repeat(1000) },
        ]),
      ),
      roomy,
    );
    try {
      expect(zip.verbatim).to.equal(false);
      const files = zip.entries.filter((entry) => entry.kind === 'file');
      const contents = await Promise.all(files.map(async (entry) => (await zip.readFile(entry)).toString()));
      expect(contents).to.deep.equal(['first', 'second '.repeat(1000)]);
    } finally {
      zip.close();
      zip.close();
    }
  });

  it('refuses a file that inflates to more than it declares (a zip bomb that lies), without inflating it all', async () => {
    const liar = declareUncompressedSize(await makeZip([{ path: 'zeros', content: Buffer.alloc(wholeFileBytes) }]), 100);
    expect(await refusal(liar)).to.equal("The uploaded package's entry 'zeros' holds a different number of bytes than it declares.");
  });

  it('refuses a deflated file that holds less than it declares', async () => {
    const liar = declareUncompressedSize(await makeZip([{ path: 'short', content: Buffer.alloc(1000) }]), 2000);
    expect(await refusal(liar)).to.match(/^The uploaded package('s entry 'short'| is not a valid zip file)/);
  });

  it('refuses a stored file that declares more than it holds', async () => {
    const liar = declareUncompressedSize(await makeZip([{ path: 'short', content: 'abc', compress: false }]), 3000);
    expect(await refusal(liar)).to.match(/^The uploaded package('s entry 'short'| is not a valid zip file)/);
  });

  it('names the corrupt entry when its compressed data is damaged', async () => {
    const zip = await makeZip([{ path: 'data.bin', content: Buffer.from('hello '.repeat(2000)) }]);
    const damaged = Buffer.from(zip);
    const dataStart = 30 + 'data.bin'.length;
    for (let index = dataStart; index < dataStart + 40; index += 1) damaged[index] = 0xff;
    expect(await refusal(damaged)).to.equal("The uploaded package's entry 'data.bin' cannot be read: the zip file is corrupt.");
  });

  it('is only for small files: a larger one is read with openFile', async () => {
    const zip = await readPackageZip(
      await writeTemporaryZip(directory, await makeZip([{ path: 'large', content: Buffer.alloc(wholeFileBytes + 1) }])),
      roomy,
    );
    try {
      const entry = zip.entries[0]!;
      if (entry.kind !== 'file') throw new Error('not a file');
      const error = await zip.readFile(entry).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(Error).and.not.to.be.instanceOf(InvalidPackageBits);
    } finally {
      zip.close();
    }
  });
});
