import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InvalidPackageBits } from '../../../src/bits/bits-errors.ts';
import { parsePackageUpload } from '../../../src/bits/upload/parse-package-upload.ts';
import { makeZip, multipartBody, temporaryDirectory } from './zip-fixtures.ts';

describe('Package upload parsing: a body over the limit that arrives in one chunk', function () {
  this.timeout(10_000);
  const limit = 256 * 1024;
  let spool: string;
  beforeEach(async () => {
    spool = await temporaryDirectory();
  });
  afterEach(() => rm(spool, { recursive: true, force: true }));

  // The whole part is parsed before its file stream's end is read; refusing it then must not hang.
  for (const over of [1, 1024, 64 * 1024]) {
    it(`is refused (${over} bytes over) and leaves no spool file`, async () => {
      const zip = await makeZip([{ path: 'random.bin', content: randomBytes(limit + over), compress: false }]);
      const { headers, chunks } = multipartBody({ bits: zip });
      const outcome = await parsePackageUpload(Readable.from([Buffer.concat(chunks)]), headers, {
        spoolDirectory: spool,
        maxUploadBytes: limit,
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(outcome).to.be.instanceOf(InvalidPackageBits);
      expect((outcome as InvalidPackageBits).detail).to.equal(`The package is larger than the limit of ${limit} bytes.`);
      expect(await readdir(spool)).to.deep.equal([]);
    });
  }
});
