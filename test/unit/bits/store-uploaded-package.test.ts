import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { InvalidPackageBits, UnparseableUpload } from '../../../src/bits/bits-errors.ts';
import type { BitsStore } from '../../../src/bits/bits-store.ts';
import { openEmbeddedBitsStore, uploadSpoolDirectory } from '../../../src/bits/embedded/embedded-bits-store.ts';
import { storeUploadedPackage, type PackageUploadSettings } from '../../../src/bits/upload/store-uploaded-package.ts';
import { declareUncompressedSize, listZip, makeZip, multipartBody, renameEntry, temporaryDirectory, type ZipItem } from './zip-fixtures.ts';

const ref = { appGuid: 'app-guid', packageGuid: 'package-guid' };
const sha1 = (content: string | Buffer): string => createHash('sha1').update(content).digest('hex');

// Each case with the zip read only after the upload, and again with it read while it arrives (from its
// first byte), with and without data descriptors (the cf CLI's zips have them).
const readings = [
  { name: 'read after the upload', threshold: undefined, dataDescriptors: false },
  { name: 'read as it arrives', threshold: 0, dataDescriptors: false },
  { name: 'with data descriptors, read as it arrives', threshold: 0, dataDescriptors: true },
];
for (const reading of readings)
  describe(`storeUploadedPackage (embedded bits store, zip ${reading.name})`, () => {
    const zipOf = (items: ZipItem[]): Promise<Buffer> => makeZip(items, { dataDescriptors: reading.dataDescriptors });
    let dataDir: string;
    let store: BitsStore;
    let settings: PackageUploadSettings;
    beforeEach(async () => {
      dataDir = await temporaryDirectory();
      store = await openEmbeddedBitsStore({ dataDir, resourceCacheBytes: 1024 * 1024 });
      settings = {
        spoolDirectory: uploadSpoolDirectory(dataDir),
        maxUploadBytes: 1024 * 1024,
        maxUncompressedBytes: 1024 * 1024,
        maxEntries: 50,
        streamCheckThresholdBytes: reading.threshold,
      };
    });
    afterEach(async () => {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    async function upload(parts: { resources?: string; bits?: Buffer }, overrides: Partial<PackageUploadSettings> = {}) {
      const { headers, chunks } = multipartBody(parts);
      return storeUploadedPackage(store, { ref, body: Readable.from(chunks), headers }, { ...settings, ...overrides });
    }

    async function storedEntries(): Promise<{ path: string; mode: string; content: string }[]> {
      const zip = await buffer((await store.packages.openPackageBits(ref)).stream);
      return (await listZip(zip)).map((entry) => ({ path: entry.path, mode: entry.mode.toString(8), content: entry.content.toString() }));
    }

    async function nothingLeft(): Promise<void> {
      expect(await readdir(join(dataDir, 'bits', 'sha256')), 'no blob or temporary file').to.deep.equal([]);
      expect(await readdir(join(dataDir, 'bits', 'packages'))).to.deep.equal([]);
      expect(await readdir(settings.spoolDirectory), 'nothing spooled').to.deep.equal([]);
    }

    const app: ZipItem[] = [
      { directory: 'bin' },
      { path: 'bin/start', content: '#!/bin/sh\nnode app.js\n', mode: 0o755 },
      { path: 'app.js', content: 'console.log("hi")\n' },
      { path: 'readonly.txt', content: 'r', mode: 0o444 },
      { link: 'bin/app.js', target: '../app.js' },
    ];

    it('stores the uploaded zip rebuilt with its paths, modes and links, and removes the spool', async () => {
      const stored = await upload({ resources: '[]', bits: await zipOf(app) });
      expect(stored.digest).to.match(/^sha256:[0-9a-f]{64}$/);
      expect(await storedEntries()).to.deep.equal([
        { path: 'bin/', mode: '40755', content: '' },
        { path: 'bin/start', mode: '100755', content: '#!/bin/sh\nnode app.js\n' },
        { path: 'app.js', mode: '100644', content: 'console.log("hi")\n' },
        { path: 'readonly.txt', mode: '100644', content: 'r' }, // the owner may always read and write
        { path: 'bin/app.js', mode: '120777', content: '../app.js' },
      ]);
      expect(await readdir(settings.spoolDirectory)).to.deep.equal([]);
    });

    it('keeps the uploaded files in the resource cache, so a second push can leave them out', async () => {
      await upload({ bits: await zipOf(app) });
      const candidates = [
        { sha1: sha1('console.log("hi")\n'), sizeBytes: 18 },
        { sha1: sha1('#!/bin/sh\nnode app.js\n'), sizeBytes: 22 },
        { sha1: sha1('never uploaded'), sizeBytes: 14 },
      ];
      expect(await store.resources.held(candidates)).to.deep.equal(candidates.slice(0, 2));
    });

    it('brings matched files back from the cache with the mode the CLI sent, next to the new ones', async () => {
      await upload({ bits: await zipOf(app) });
      const second = { ...ref, packageGuid: 'second-package' };
      const resources = JSON.stringify([
        { fn: 'bin/start', sha1: sha1('#!/bin/sh\nnode app.js\n'), size: 22, mode: '755' },
        { fn: 'lib/app.js', sha1: sha1('console.log("hi")\n'), size: 18, mode: '600' },
      ]);
      const { headers, chunks } = multipartBody({ resources, bits: await zipOf([{ path: 'changed.txt', content: 'new' }]) });
      await storeUploadedPackage(store, { ref: second, body: Readable.from(chunks), headers }, settings);
      const zip = await buffer((await store.packages.openPackageBits(second)).stream);
      const entries = await listZip(zip);
      // Matched files are stored as they are: deflating them again would cost more than the upload saved.
      expect(entries.map((entry) => `${entry.path} ${entry.deflated ? 'deflated' : 'stored'}`)).to.deep.equal([
        'changed.txt deflated',
        'bin/start stored',
        'lib/app.js stored',
      ]);
      expect(entries.map((entry) => [entry.path, entry.mode.toString(8), entry.content.toString()])).to.deep.equal([
        ['changed.txt', '100644', 'new'],
        ['bin/start', '100755', '#!/bin/sh\nnode app.js\n'],
        ['lib/app.js', '100600', 'console.log("hi")\n'],
      ]);
    });

    it('builds a package from matched files alone (no bits part), and an empty one from an empty list', async () => {
      await upload({ bits: await zipOf(app) });
      await upload({ resources: JSON.stringify([{ fn: 'app.js', sha1: sha1('console.log("hi")\n'), size: 18, mode: '644' }]) });
      expect(await storedEntries()).to.deep.equal([{ path: 'app.js', mode: '100644', content: 'console.log("hi")\n' }]);
      await upload({ resources: '[]' });
      expect(await storedEntries()).to.deep.equal([]);
    });

    it('refuses a matched file the cache does not hold, storing nothing', async () => {
      const error = await upload({ resources: JSON.stringify([{ fn: 'gone.js', sha1: sha1('gone'), size: 4 }]) }).catch(
        (caught: unknown) => caught,
      );
      expect(error).to.be.instanceOf(InvalidPackageBits);
      expect((error as InvalidPackageBits).detail).to.equal(
        `The file 'gone.js' (SHA-1 ${sha1('gone')}) is not in the resource cache any more; push again to upload it.`,
      );
      await nothingLeft();
    });

    it('refuses an evil zip, storing nothing', async () => {
      const evil = renameEntry(await zipOf([{ path: 'XX/passwd', content: 'root' }]), 'XX/passwd', '../passwd');
      const error = await upload({ resources: '[]', bits: evil }).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(InvalidPackageBits);
      expect((error as InvalidPackageBits).toApiError()).to.include({ status: 422, title: 'CF-UnprocessableEntity' });
      await nothingLeft();
    });

    it('refuses a body that is not a zip, storing nothing', async () => {
      const error = await upload({ bits: Buffer.from('<html>not a zip</html>') }).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(InvalidPackageBits).and.to.have.property('detail', 'The uploaded package is not a valid zip file.');
      await nothingLeft();
    });

    it('counts matched files against the limits', async () => {
      await upload({ bits: await zipOf([{ path: 'big', content: Buffer.alloc(600, 1) }]) });
      const resources = JSON.stringify([{ fn: 'again', sha1: sha1(Buffer.alloc(600, 1)), size: 600 }]);
      const error = await upload(
        { resources, bits: await zipOf([{ path: 'more', content: Buffer.alloc(600, 2) }]) },
        { maxUncompressedBytes: 1000 },
      ).catch((caught: unknown) => caught);
      expect(error)
        .to.be.instanceOf(InvalidPackageBits)
        .and.to.have.property('detail', 'The package would unpack to more than 1000 bytes.');
      const tooMany = await upload({ resources, bits: await zipOf([{ path: 'more', content: 'x' }]) }, { maxEntries: 1 }).catch(
        (caught: unknown) => caught,
      );
      expect(tooMany).to.be.instanceOf(InvalidPackageBits).and.to.have.property('detail', 'The package would have more than 1 entries.');
    });

    it('leaves no blob, temporary file or spool when the upload is interrupted', async () => {
      const { headers, chunks } = multipartBody({
        resources: '[]',
        bits: await zipOf([{ path: 'data', content: Buffer.alloc(400_000, 3), compress: false }]),
      });
      const whole = Buffer.concat(chunks);
      async function* interrupted(): AsyncGenerator<Buffer> {
        yield whole.subarray(0, 200_000);
        throw new Error('the client went away');
      }
      const error = await storeUploadedPackage(store, { ref, body: Readable.from(interrupted()), headers }, settings).catch(
        (caught: unknown) => caught,
      );
      expect(error).to.have.property('message', 'the client went away');
      await nothingLeft();
      const cut = await storeUploadedPackage(store, { ref, body: Readable.from([whole.subarray(0, 200_000)]), headers }, settings).catch(
        (caught: unknown) => caught,
      );
      expect(cut).to.be.instanceOf(UnparseableUpload);
      await nothingLeft();
    });

    it('leaves nothing when the zip turns out to lie about its sizes while it is being stored', async () => {
      const zip = await zipOf([
        { path: 'first', content: 'fine' },
        { path: 'second', content: Buffer.alloc(100_000) },
      ]);
      const copy = Buffer.from(zip);
      // Only the second central directory record lies: the first file is already streaming into the store.
      const second = copy.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      copy.writeUInt32LE(10, second + 24);
      const error = await upload({ bits: copy }).catch((caught: unknown) => caught);
      expect(error)
        .to.be.instanceOf(InvalidPackageBits)
        .and.to.have.property('detail', "The uploaded package's entry 'second' holds a different number of bytes than it declares.");
      await nothingLeft();
    });

    it('stores a clean zip byte for byte as uploaded, and still keeps its files in the cache', async () => {
      const clean = await zipOf([
        { directory: 'lib' },
        { path: 'lib/index.js', content: 'module.exports = 1;\n', mode: 0o644 },
        { path: 'run.sh', content: 'exec node lib\n', mode: 0o755 },
      ]);
      const stored = await upload({ resources: '[]', bits: clean });
      expect(stored).to.deep.equal({ digest: `sha256:${createHash('sha256').update(clean).digest('hex')}`, sizeBytes: clean.length });
      const files = [
        { sha1: sha1('module.exports = 1;\n'), sizeBytes: 20 },
        { sha1: sha1('exec node lib\n'), sizeBytes: 14 },
      ];
      expect(await store.resources.held(files)).to.deep.equal(files);
    });

    it('keeps the files of a clean zip in a copy of it: the blob goes with the package, a later push still matches', async () => {
      const files = [
        { path: 'lib/index.js', content: 'module.exports = 1;\n'.repeat(100), mode: 0o644 },
        { path: 'data.bin', content: randomBytes(5000), mode: 0o644, compress: false },
      ];
      await upload({ bits: await zipOf(files) });
      await store.packages.deletePackageBits(ref);
      await nothingLeft();
      const resources = JSON.stringify(
        files.map((file) => ({ fn: file.path, sha1: sha1(file.content), size: file.content.length, mode: '644' })),
      );
      await upload({ resources });
      expect(await storedEntries()).to.deep.equal(
        files.map((file) => ({ path: file.path, mode: '100644', content: file.content.toString() })),
      );
    });

    it('keeps none of the files of a clean-looking zip that is refused', async () => {
      const liar = Buffer.from(
        await zipOf([
          { path: 'fine', content: 'a fine file' },
          { path: 'liar', content: Buffer.alloc(10_000) },
        ]),
      );
      liar.writeUInt32LE(10, liar.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
      const error = await upload({ bits: liar }).catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(InvalidPackageBits);
      expect(await store.resources.held([{ sha1: sha1('a fine file'), sizeBytes: 11 }])).to.deep.equal([]);
      await nothingLeft();
    });

    it('rebuilds a zip whose local header names an entry otherwise than its directory record', async () => {
      const zip = await zipOf([{ path: 'XX/escape', content: 'payload' }]);
      // Only the local header (first occurrence) gets the evil name: tools that stream the zip would read it.
      const local = Buffer.from(zip);
      local.write('../escape', local.indexOf('XX/escape'), 'latin1');
      const honest = renameEntry(local, 'XX/escape', 'in/escape');
      const stored = await upload({ bits: honest });
      expect(stored.digest).to.not.equal(`sha256:${createHash('sha256').update(honest).digest('hex')}`);
      const rebuilt = await buffer((await store.packages.openPackageBits(ref)).stream);
      expect(rebuilt.includes('../escape')).to.equal(false);
      expect((await listZip(rebuilt)).map((entry) => entry.path)).to.deep.equal(['in/escape']);
    });

    it('refuses a lying zip on the rebuild path too (with matched files), storing nothing', async () => {
      await upload({ bits: await zipOf([{ path: 'cached', content: 'in the cache' }]) });
      await store.packages.deletePackageBits(ref);
      const liar = declareUncompressedSize(await zipOf([{ path: 'zeros', content: Buffer.alloc(100_000) }]), 10);
      const resources = JSON.stringify([{ fn: 'cached', sha1: sha1('in the cache'), size: 12 }]);
      const error = await upload({ resources, bits: liar }).catch((caught: unknown) => caught);
      expect(error)
        .to.be.instanceOf(InvalidPackageBits)
        .and.to.have.property('detail', "The uploaded package's entry 'zeros' holds a different number of bytes than it declares.");
      await nothingLeft();
    });
  });
