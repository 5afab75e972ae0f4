import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { InvalidPackageBits } from '../../../src/bits/bits-errors.ts';
import type { ZipFileLocation } from '../../../src/bits/bits-store.ts';
import { checkZipContents } from '../../../src/bits/upload/check-zip-contents.ts';
import { readPackageZip } from '../../../src/bits/upload/read-package-zip.ts';
import { declareUncompressedSize, makeZip, renameEntry, temporaryDirectory, writeTemporaryZip } from './zip-fixtures.ts';

const roomy = { maxUncompressedBytes: 16 * 1024 * 1024, maxEntries: 100 };
const sha1 = (content: string | Buffer): string => createHash('sha1').update(content).digest('hex');
const inWorkers = { fingerprints: true, workerThresholdBytes: 0 };
const onThisThread = { fingerprints: true, workerThresholdBytes: Number.POSITIVE_INFINITY };

describe('checkZipContents: small files checked in worker threads', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await temporaryDirectory();
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function check(
    bytes: Buffer,
    options: { fingerprints: boolean; workerThresholdBytes: number },
  ): Promise<{ files: ZipFileLocation[]; headersAgree: boolean }> {
    const zip = await readPackageZip(await writeTemporaryZip(directory, bytes, `${randomBytes(4).toString('hex')}.zip`), roomy);
    try {
      // In the order of the zip (this thread's readers finish in any order).
      const files = (await checkZipContents(zip, roomy, options)).sort((a, b) => a.dataStart - b.dataStart);
      return { files, headersAgree: await zip.localHeadersAgree() };
    } finally {
      zip.close();
    }
  }

  async function refusal(bytes: Buffer): Promise<string> {
    const error = await check(bytes, inWorkers).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(InvalidPackageBits);
    return (error as InvalidPackageBits).detail;
  }

  const text = Buffer.from('a line of text\n'.repeat(5000));
  const random = randomBytes(70_000);

  it('finds what this thread finds: each file where it lies, its size and SHA-1, deflated or stored', async () => {
    const zip = await makeZip([
      { directory: 'lib' },
      { path: 'lib/text.txt', content: text },
      { path: 'random.bin', content: random, compress: false },
      { path: 'small.js', content: 'module.exports = 1;\n' },
      { path: 'empty', content: '' },
    ]);
    const here = await check(zip, onThisThread);
    const there = await check(zip, inWorkers);
    expect(there).to.deep.equal(here);
    expect(there.headersAgree).to.equal(true);
    expect(there.files.map((file) => [file.sha1, file.sizeBytes, file.method])).to.deep.equal([
      [sha1(text), text.length, 8],
      [sha1(random), random.length, 0],
      [sha1('module.exports = 1;\n'), 20, 8],
      [sha1(''), 0, 8],
    ]);
  });

  it('notices a local header that names its entry otherwise than the directory', async () => {
    const zip = await makeZip([{ path: 'XX/escape', content: 'payload' }]);
    const local = Buffer.from(zip);
    local.write('../escape', local.indexOf('XX/escape'), 'latin1');
    const honest = renameEntry(local, 'XX/escape', 'in/escape');
    expect((await check(honest, inWorkers)).headersAgree).to.equal(false);
  });

  it('refuses a file that inflates to more than it declares, and one that holds less', async () => {
    const more = declareUncompressedSize(await makeZip([{ path: 'zeros', content: Buffer.alloc(100_000) }]), 100);
    expect(await refusal(more)).to.equal("The uploaded package's entry 'zeros' holds a different number of bytes than it declares.");
    const less = declareUncompressedSize(await makeZip([{ path: 'short', content: Buffer.alloc(1000) }]), 2000);
    expect(await refusal(less)).to.equal("The uploaded package's entry 'short' holds a different number of bytes than it declares.");
  });

  it('names the corrupt entry, and refuses a zip whose local header is not one', async () => {
    const zip = await makeZip([
      { path: 'first.txt', content: 'fine' },
      { path: 'data.bin', content: Buffer.from('hello '.repeat(2000)) },
    ]);
    const damaged = Buffer.from(zip);
    const dataStart = damaged.indexOf('data.bin') + 'data.bin'.length;
    for (let index = dataStart; index < dataStart + 40; index += 1) damaged[index] = 0xff;
    expect(await refusal(damaged)).to.equal("The uploaded package's entry 'data.bin' cannot be read: the zip file is corrupt.");
    const noHeader = Buffer.from(zip);
    noHeader.writeUInt32LE(0, 0);
    expect(await refusal(noHeader)).to.equal('The uploaded package is not a valid zip file.');
  });
});
