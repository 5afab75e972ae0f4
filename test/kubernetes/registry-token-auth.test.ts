import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { pullPackageImage, pushPackageImage } from '../../src/store/kubernetes/registry/package-image.ts';
import { pushFailure } from '../../src/store/kubernetes/registry/push-failure.ts';
import { RegistryClient } from '../../src/store/kubernetes/registry/registry-client.ts';
import { RegistryError } from '../../src/store/kubernetes/registry/registry-error.ts';
import { startTestRegistry, type TestRegistry } from '../support/registry.ts';

describe('Package images in a real registry behind a token server (bearer tokens)', function () {
  this.timeout(60_000);
  let registry: TestRegistry;
  let dir: string;
  let zipPath: string;

  before(async function () {
    registry = await startTestRegistry({ auth: 'token' });
    dir = await mkdtemp(join(tmpdir(), 'cfapi-token-auth-'));
    zipPath = join(dir, 'bits.zip');
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from('web: ./start\n'), 'Procfile');
    zip.end();
    await pipeline(zip.outputStream, createWriteStream(zipPath));
  });

  after(async function () {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const client = (password: string): RegistryClient =>
    new RegistryClient({ registry: registry.host, caPem: registry.caPem, credentials: { username: registry.username, password } });

  it('answers the Bearer challenge with a token from the realm, for the push and for the pull', async function () {
    const repository = `${registry.host}/cfapi/${randomUUID()}-packages`;
    const pushed = await pushPackageImage(client(registry.password), repository, zipPath, ['pkg']);
    const pulled = await pullPackageImage(client(registry.password), `${repository}:pkg`);
    expect(`${repository}@${pulled.digest}`).to.equal(pushed);
  });

  it('reports credentials the token server refuses as unauthorized, a 502 CF-BlobstoreUnavailable', async function () {
    const error = await pushPackageImage(client('wrong'), `${registry.host}/cfapi/${randomUUID()}-packages`, zipPath, []).catch(
      (caught: unknown) => caught,
    );
    expect(error).to.be.instanceOf(RegistryError).with.property('kind', 'unauthorized');
    expect((error as Error).message).to.contain('token from https://127.0.0.1:');
    expect(pushFailure(error)).to.have.property('code', 150006);
  });
});
