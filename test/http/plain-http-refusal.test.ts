import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, projectRoot, startServerProcess } from '../support/server-process.ts';

const run = promisify(execFile);

describe('the server process on a non-loopback address', () => {
  const environment = async () => ({
    CFAPI_DATA_DIR: await mkdtemp(join(tmpdir(), 'cf-api-plain-http-')),
    CFAPI_LISTEN_HOST: '0.0.0.0',
    CFAPI_LISTEN_PORT: String(await freePort()),
    CFAPI_LOG_LEVEL: 'warn',
  });

  it('refuses plain HTTP, saying why and what to configure', async () => {
    // A server that does start is killed after 15 s, so that the test fails on its exit code instead of hanging.
    const failed = await run(process.execPath, ['src/main.ts'], {
      cwd: projectRoot,
      env: { ...process.env, ...(await environment()) },
      timeout: 15_000,
    }).catch((error: { code: number; stderr: string }) => error);
    expect((failed as { code: number }).code).to.equal(1);
    expect((failed as { stderr: string }).stderr)
      .to.contain('Refusing to serve plain HTTP on 0.0.0.0, which is not a loopback address')
      .and.to.contain('private keys')
      .and.to.contain('tls.certFile and tls.keyFile')
      .and.to.contain('listen.allowPlainHttp: true (CFAPI_LISTEN_ALLOW_PLAIN_HTTP=true)');
  });

  it('serves plain HTTP when the configuration says TLS is terminated in front of it', async () => {
    const server = await startServerProcess({ ...(await environment()), CFAPI_LISTEN_ALLOW_PLAIN_HTTP: 'true' });
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGKILL');
    await exited;
    expect(server.output()).to.contain('listening on http://0.0.0.0:');
  });
});
