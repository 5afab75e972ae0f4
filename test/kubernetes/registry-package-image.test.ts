import { expect } from 'chai';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import yazl from 'yazl';
import { ApiError } from '../../src/errors/api-error.ts';
import { registryCredentialsFromSecrets } from '../../src/store/kubernetes/registry/docker-config.ts';
import {
  dockerConfigType,
  dockerLayerType,
  dockerManifestType,
  packageRepository,
  pullPackageImage,
  pushPackageImage,
} from '../../src/store/kubernetes/registry/package-image.ts';
import { pushFailure } from '../../src/store/kubernetes/registry/push-failure.ts';
import { RegistryClient } from '../../src/store/kubernetes/registry/registry-client.ts';
import { RegistryError } from '../../src/store/kubernetes/registry/registry-error.ts';
import { InvalidZipError } from '../../src/store/kubernetes/registry/zip-layer.ts';
import { eventually } from '../store/fixture.ts';
import { freePort } from '../support/server-process.ts';
import { startTestRegistry, type TestRegistry } from '../support/registry.ts';

type LayerEntry = { name: string; type: string; mode: number; uid: number; gid: number; mtime: string; linkname?: string; sha256?: string };

describe('Package images in a real registry (distribution 2.8, TLS, htpasswd)', function () {
  this.timeout(60_000);
  let registry: TestRegistry;
  let dir: string;
  let zipPath: string;
  const big = randomBytes(3 * 1024 * 1024 + 17); // several gzip blocks and HTTP chunks

  before(async function () {
    registry = await startTestRegistry();
    dir = await mkdtemp(join(tmpdir(), 'cfapi-package-image-'));
    zipPath = join(dir, 'bits.zip');
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from('web: node server.js\n'), 'Procfile', { mode: 0o100644 });
    zip.addEmptyDirectory('bin/', { mode: 0o040755 });
    zip.addBuffer(Buffer.from('#!/bin/sh\necho hi\n'), 'bin/start', { mode: 0o100755 });
    zip.addBuffer(big, 'data/blob.bin', { mode: 0o100600 });
    zip.addBuffer(Buffer.from('bin/start'), 'run', { mode: 0o120777 });
    zip.end();
    await pipeline(zip.outputStream, createWriteStream(zipPath));
  });

  after(async function () {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const client = (overrides: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}): RegistryClient =>
    new RegistryClient({
      registry: registry.host,
      caPem: registry.caPem,
      credentials: { username: registry.username, password: registry.password },
      ...overrides,
    });

  it('pushes a zip as Korifi does (latest and the package GUID, answered by digest) and pulls the same layer back', async function () {
    const appGuid = randomUUID();
    const packageGuid = randomUUID();
    const repository = packageRepository(`${registry.host}/cfapi/`, appGuid);
    expect(repository).to.equal(`${registry.host}/cfapi/${appGuid}-packages`);
    // Credentials come from a dockerconfigjson Secret, as Korifi's packageRegistrySecretNames give them.
    const dockerConfig = { auths: { [`https://${registry.host}`]: { username: registry.username, password: registry.password } } };
    const credentials = registryCredentialsFromSecrets(
      [
        {
          type: 'kubernetes.io/dockerconfigjson',
          data: { '.dockerconfigjson': Buffer.from(JSON.stringify(dockerConfig)).toString('base64') },
        },
      ],
      registry.host,
    );
    const pusher = client({ credentials });

    const pushed = await pushPackageImage(pusher, repository, zipPath, [packageGuid]);

    expect(pushed).to.match(new RegExp(`^${escape(repository)}@sha256:[0-9a-f]{64}$`));
    const byTag = await pullPackageImage(client(), `${repository}:${packageGuid}`);
    const byLatest = await pullPackageImage(client(), repository);
    const byDigest = await pullPackageImage(client(), pushed);
    expect(`${repository}@${byTag.digest}`).to.equal(pushed);
    expect(byLatest.digest).to.equal(byTag.digest);
    expect(byDigest.digest).to.equal(byTag.digest);

    expect(byTag.manifest.mediaType).to.equal(dockerManifestType);
    expect(byTag.manifest.config.mediaType).to.equal(dockerConfigType);
    expect(byTag.manifest.layers.map((layer) => layer.mediaType)).to.deep.equal([dockerLayerType]);
    expect(byTag.config).to.deep.include({ architecture: '', os: '', config: {} });
    expect(byTag.config.rootfs.type).to.equal('layers');

    const tarBytes = await readAll(await byTag.layer());
    expect(byTag.config.rootfs.diff_ids).to.deep.equal([`sha256:${sha256(tarBytes)}`]);
    const entries = await tarEntries(tarBytes);
    const common = { uid: 0, gid: 0, mtime: '1980-01-01T00:00:01.000Z' };
    expect(entries).to.deep.equal([
      { name: '/Procfile', type: 'file', mode: 0o644, ...common, sha256: sha256(Buffer.from('web: node server.js\n')) },
      { name: '/bin/', type: 'directory', mode: 0o755, ...common },
      { name: '/bin/start', type: 'file', mode: 0o755, ...common, sha256: sha256(Buffer.from('#!/bin/sh\necho hi\n')) },
      { name: '/data/blob.bin', type: 'file', mode: 0o600, ...common, sha256: sha256(big) },
      { name: '/run', type: 'symlink', mode: 0o777, ...common, linkname: 'bin/start' },
    ]);
  });

  it('refuses wrong credentials, and the push failure is 502 CF-BlobstoreUnavailable', async function () {
    const error = await pushPackageImage(
      client({ credentials: { username: registry.username, password: 'wrong' } }),
      `${registry.host}/cfapi/${randomUUID()}-packages`,
      zipPath,
      [randomUUID()],
    ).catch((caught: unknown) => caught);

    expect(error).to.be.instanceOf(RegistryError).with.property('kind', 'unauthorized');
    expect((error as Error).message)
      .to.contain(registry.host)
      .and.contain('401');
    expectBlobstoreUnavailable(error);
    // The refused push stopped reading the zip and closed it.
    await eventually(async () => expect(openDescriptorsOf(zipPath)).to.equal(0));
  });

  it('refuses a push without credentials (no Secret names the registry)', async function () {
    const credentials = registryCredentialsFromSecrets([], registry.host);
    const error = await pushPackageImage(client({ credentials }), `${registry.host}/cfapi/${randomUUID()}-packages`, zipPath, []).catch(
      (caught: unknown) => caught,
    );
    expect(error).to.be.instanceOf(RegistryError).with.property('kind', 'unauthorized');
    expectBlobstoreUnavailable(error);
  });

  it('reports a registry that is down as unavailable, which is 502 CF-BlobstoreUnavailable', async function () {
    const host = `127.0.0.1:${await freePort()}`;
    const error = await pushPackageImage(client({ registry: host }), `${host}/cfapi/${randomUUID()}-packages`, zipPath, []).catch(
      (caught: unknown) => caught,
    );
    expect(error).to.be.instanceOf(RegistryError).with.property('kind', 'unavailable');
    expect((error as Error).message).to.contain('ECONNREFUSED');
    expectBlobstoreUnavailable(error);
  });

  it('does not trust the registry’s certificate without its CA', async function () {
    const error = await pushPackageImage(
      client({ caPem: undefined }),
      `${registry.host}/cfapi/${randomUUID()}-packages`,
      zipPath,
      [],
    ).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(RegistryError).with.property('kind', 'unavailable');
    expectBlobstoreUnavailable(error);
  });

  it('refuses bits that are not a zip before anything is pushed', async function () {
    const notZip = join(dir, 'not.zip');
    await writeFile(notZip, 'this is not a zip');
    const repository = `${registry.host}/cfapi/${randomUUID()}-packages`;
    const error = await pushPackageImage(client(), repository, notZip, ['x']).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(InvalidZipError);
    expectBlobstoreUnavailable(error);
    const missing = await pullPackageImage(client(), `${repository}:x`).catch((caught: unknown) => caught);
    expect(missing).to.be.instanceOf(RegistryError).with.property('kind', 'not-found');
  });

  it('stops a push whose zip turns out broken while it streams, pushing no manifest', async function () {
    const broken = join(dir, 'broken.zip');
    const bytes = await readFile(zipPath);
    const data = bytes.indexOf(big.subarray(0, 64)); // the big entry is stored uncompressed
    expect(data).to.be.greaterThan(0);
    bytes.fill(0, data + 1024 * 1024, data + 1024 * 1024 + 4096); // its CRC no longer matches
    await writeFile(broken, bytes);
    const repository = `${registry.host}/cfapi/${randomUUID()}-packages`;

    const error = await pushPackageImage(client(), repository, broken, ['x']).catch((caught: unknown) => caught);

    expect(error).to.be.instanceOf(InvalidZipError);
    expectBlobstoreUnavailable(error);
    const missing = await pullPackageImage(client(), `${repository}:x`).catch((caught: unknown) => caught);
    expect(missing).to.be.instanceOf(RegistryError).with.property('kind', 'not-found');
    await eventually(async () => expect(openDescriptorsOf(broken)).to.equal(0));
  });

  it('leaves other errors alone', function () {
    expect(pushFailure(new TypeError('a bug'))).to.equal(undefined);
  });
});

function openDescriptorsOf(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed while listing
    }
  }).length;
}

function expectBlobstoreUnavailable(error: unknown): void {
  const mapped = pushFailure(error);
  expect(mapped).to.be.instanceOf(ApiError);
  expect((mapped as ApiError).toJSON()).to.deep.equal({
    errors: [{ code: 150006, title: 'CF-BlobstoreUnavailable', detail: 'Error uploading source package to the container registry' }],
  });
  expect((mapped as ApiError).status).to.equal(502);
}

async function tarEntries(bytes: Buffer): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [];
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const { name, type, mode, uid, gid, mtime, linkname } = entry.header;
      const content = await readAll(entry);
      entries.push({
        name,
        type,
        mode,
        uid,
        gid,
        mtime: mtime.toISOString(),
        ...(type === 'symlink' ? { linkname } : {}),
        ...(type === 'file' ? { sha256: sha256(content) } : {}),
      });
    }
  })();
  extract.end(bytes);
  await done;
  return entries;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
