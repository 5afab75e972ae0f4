import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InvalidPackageBits, UnparseableUpload } from '../../../src/bits/bits-errors.ts';
import { parsePackageUpload } from '../../../src/bits/upload/parse-package-upload.ts';
import { multipartBody, temporaryDirectory } from './zip-fixtures.ts';

const sha1 = 'b907173290db6a155949ab4dc9b2d019dea0c901';

describe('parsePackageUpload', () => {
  let spoolDirectory: string;
  beforeEach(async () => {
    spoolDirectory = await temporaryDirectory();
  });
  afterEach(async () => {
    await rm(spoolDirectory, { recursive: true, force: true });
  });

  const parse = (body: Readable, headers: Record<string, string>, maxUploadBytes = 1024 * 1024) =>
    parsePackageUpload(body, headers, { spoolDirectory, maxUploadBytes });

  async function failure(body: Readable, headers: Record<string, string>, maxUploadBytes?: number): Promise<Error> {
    const error = await parse(body, headers, maxUploadBytes).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(Error);
    expect(await readdir(spoolDirectory), 'nothing left in the spool').to.deep.equal([]);
    return error as Error;
  }

  it("spools the bits part to a private file and reads the CLI's resources field", async () => {
    const bits = Buffer.alloc(300_000, 9);
    const resources = JSON.stringify([{ fn: 'lib/a.js', sha1, size: 123, mode: '755' }]);
    const { headers, chunks } = multipartBody({ resources, bits });
    const upload = await parse(Readable.from(chunks), headers);
    expect(upload.resources).to.deep.equal([{ path: 'lib/a.js', sha1, sizeBytes: 123, mode: 0o755 }]);
    expect(await readFile(upload.bitsFile!)).to.deep.equal(bits);
    expect((await stat(upload.bitsFile!)).mode & 0o777).to.equal(0o600);
    expect(upload.bitsSha256, 'hashed while spooled').to.equal(createHash('sha256').update(bits).digest('hex'));
    await upload.discard();
    expect(await readdir(spoolDirectory)).to.deep.equal([]);
  });

  it('reads the V3 shape of resources too, and defaults the mode', async () => {
    const resources = JSON.stringify([{ path: 'a.txt', size_in_bytes: 5, checksum: { value: sha1.toUpperCase() } }]);
    const { headers, chunks } = multipartBody({ resources });
    const upload = await parse(Readable.from(chunks), headers);
    expect(upload.bitsFile).to.equal(undefined);
    expect(upload.resources).to.deep.equal([{ path: 'a.txt', sha1, sizeBytes: 5, mode: 0o644 }]);
  });

  it('accepts bits without resources', async () => {
    const { headers, chunks } = multipartBody({ bits: Buffer.from('zip') });
    const upload = await parse(Readable.from(chunks), headers);
    expect(upload.resources).to.deep.equal([]);
    await upload.discard();
  });

  it("refuses a body with neither part, with Korifi's text", async () => {
    const { headers, chunks } = multipartBody({});
    const error = await failure(Readable.from(chunks), headers);
    expect(error).to.be.instanceOf(InvalidPackageBits).and.to.have.property('detail', 'Upload must include bits');
  });

  it('refuses a body that is not multipart as unparseable (400)', async () => {
    const error = await failure(Readable.from([Buffer.from('{}')]), { 'content-type': 'application/json' });
    expect(error).to.be.instanceOf(UnparseableUpload);
    expect((error as UnparseableUpload).toApiError()).to.include({
      status: 400,
      code: 10004,
      detail: 'Unable to parse body as multipart form',
    });
  });

  it('refuses a body cut off in the middle of the bits, leaving nothing spooled', async () => {
    const { headers, chunks } = multipartBody({ resources: '[]', bits: Buffer.alloc(200_000, 1) });
    const whole = Buffer.concat(chunks);
    const error = await failure(Readable.from([whole.subarray(0, 100_000)]), headers);
    expect(error).to.be.instanceOf(UnparseableUpload);
  });

  it('stops at the size limit, leaving nothing spooled', async () => {
    const { headers, chunks } = multipartBody({ bits: Buffer.alloc(5000, 1) });
    const error = await failure(Readable.from(chunks), headers, 4096);
    expect(error)
      .to.be.instanceOf(InvalidPackageBits)
      .and.to.have.property('detail', 'The package is larger than the limit of 4096 bytes.');
  });

  it('refuses a stream that fails midway, leaving nothing spooled', async () => {
    const { headers, chunks } = multipartBody({ bits: Buffer.alloc(200_000, 1) });
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.concat(chunks).subarray(0, 150_000);
      throw new Error('connection reset');
    }
    const error = await failure(Readable.from(broken()), headers);
    expect(error.message).to.equal('connection reset');
  });

  const badResources: [string, string, RegExp][] = [
    ['not JSON', '[{', /^The resources field must be a JSON list/],
    ['not a list', '{}', /^The resources field must be a JSON list/],
    [
      'a path escaping the package',
      JSON.stringify([{ fn: '../x', sha1, size: 1 }]),
      /^Resource 0 of the resources field has the path '..\/x'/,
    ],
    ['no SHA-1', JSON.stringify([{ fn: 'x', size: 1 }]), /has no SHA-1/],
    ['a negative size', JSON.stringify([{ fn: 'x', sha1, size: -1 }]), /has no size/],
    ['a mode that is not octal', JSON.stringify([{ fn: 'x', sha1, size: 1, mode: '999' }]), /has the mode "999"/],
    [
      'a mode the owner cannot write',
      JSON.stringify([{ fn: 'x', sha1, size: 1, mode: '0444' }]),
      /^The resource file mode is invalid: File mode '0444' with path 'x' is invalid\. Minimum file mode is '0600'\.$/,
    ],
    [
      'a path twice',
      JSON.stringify([
        { fn: 'x', sha1, size: 1 },
        { fn: 'x', sha1, size: 1 },
      ]),
      /names the path 'x' twice/,
    ],
  ];
  for (const [what, resources, detail] of badResources) {
    it(`refuses resources with ${what}`, async () => {
      const { headers, chunks } = multipartBody({ resources, bits: Buffer.from('zip') });
      const error = await failure(Readable.from(chunks), headers);
      expect(error).to.be.instanceOf(InvalidPackageBits);
      expect((error as InvalidPackageBits).detail).to.match(detail);
    });
  }
});
