import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { repositoryRoot, run } from './support.ts';

/**
 * The SDK's README tells users of a server with a private CA to start Node with NODE_EXTRA_CA_CERTS:
 * checked here with a server serving HTTPS with a certificate of its own (its own CA) for 127.0.0.1.
 */
describe('SDK over HTTPS with a private CA', function () {
  this.timeout(30_000);
  let dir: string;
  let server: TestServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cfapi-sdk-tls-'));
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
    ]); // prettier-ignore
    server = await startTestServer({ config: { tls: { certFile, keyFile } } });
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const script = `
import { createCfClient } from ${JSON.stringify(join(repositoryRoot, 'sdk/src/index.ts'))};
const cf = createCfClient({ baseUrl: process.env.CF_API, auth: { token: process.env.CF_TOKEN } });
const { data } = await cf.GET('/whoami');
console.log(data.name);`;
  const withoutExtraCas = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_EXTRA_CA_CERTS'));
  const runScript = (extraEnv: Record<string, string>) =>
    run(process.execPath, ['--input-type=module', '--eval', script], {
      env: { ...withoutExtraCas, CF_API: server.url, CF_TOKEN: server.admin.token, ...extraEnv },
    });

  it('reaches the server when Node trusts the CA through NODE_EXTRA_CA_CERTS, and refuses it otherwise', async () => {
    expect(server.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { stdout } = await runScript({ NODE_EXTRA_CA_CERTS: join(dir, 'tls.crt') });
    expect(stdout).to.equal('admin\n');
    const refused = await runScript({}).then(
      () => 'connected',
      (error: { stderr: string }) => error.stderr,
    );
    expect(refused).to.match(/self[- ]signed certificate|DEPTH_ZERO_SELF_SIGNED_CERT/i);
  });
});
