import { expect } from 'chai';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { authHeaders, contractFetch, readKubeconfigUser } from '../support/test-server.ts';

const root = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts `node src/main.ts` as `npm start` does and waits until it announces it is listening. */
async function startProcess(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['src/main.ts'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 10 s:\n${output}`)), 10_000);
    child.stderr.on('data', () => {
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return { child, output: () => output };
}

describe('the server process', () => {
  let dataDir: string;
  let port: number;
  let server: { child: ChildProcess; output: () => string };
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cf-api-process-'));
    port = await freePort();
    server = await startProcess({ CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(port), CFAPI_LOG_LEVEL: 'warn' });
  });
  after(() => server.child.kill('SIGKILL'));

  it('creates a kubeconfig with the admin user on first start and says where it is', async () => {
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    expect(server.output()).to.contain(`kubeconfig is ${kubeconfigPath}`);
    expect((await stat(kubeconfigPath)).mode & 0o777).to.equal(0o600);
    const kubeconfig = parseYaml(await readFile(kubeconfigPath, 'utf8')) as Record<string, unknown>;
    expect(kubeconfig['current-context']).to.equal('admin');
    expect(kubeconfig['clusters']).to.deep.equal([{ name: 'cf-k8s-api', cluster: { server: `http://127.0.0.1:${port}` } }]);
    const admin = await readKubeconfigUser(kubeconfigPath, 'admin');
    expect(admin.certificatePem).to.contain('BEGIN CERTIFICATE');
    expect(admin.privateKeyPem).to.contain('BEGIN PRIVATE KEY');
    const response = await contractFetch(`http://127.0.0.1:${port}`, '/whoami', { headers: authHeaders.clientCert(admin) });
    expect(response.body).to.deep.equal({ name: 'admin', kind: 'User' });
  });

  it('adds users with the user:add command; the running server accepts them at once', async () => {
    const { stdout } = await run(process.execPath, ['src/cli/add-user.ts', 'alice'], {
      cwd: root,
      env: { ...process.env, CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(port) },
    });
    expect(stdout).to.contain('Added user alice');
    const alice = await readKubeconfigUser(join(dataDir, 'kubeconfig'), 'alice');
    for (const headers of [authHeaders.bearer(alice), authHeaders.clientCert(alice)]) {
      const response = await contractFetch(`http://127.0.0.1:${port}`, '/whoami', { headers });
      expect(response.body).to.deep.equal({ name: 'alice', kind: 'User' });
    }
    const admin = await readKubeconfigUser(join(dataDir, 'kubeconfig'), 'admin');
    expect((await contractFetch(`http://127.0.0.1:${port}`, '/whoami', { headers: authHeaders.bearer(admin) })).status).to.equal(200);
  });

  it('refuses to add a user twice or with an invalid name', async () => {
    const env = { ...process.env, CFAPI_DATA_DIR: dataDir };
    const twice = await run(process.execPath, ['src/cli/add-user.ts', 'alice'], { cwd: root, env }).catch(
      (error: { stderr: string }) => error,
    );
    expect(twice.stderr).to.contain('User "alice" already exists');
    const bad = await run(process.execPath, ['src/cli/add-user.ts', 'no spaces'], { cwd: root, env }).catch(
      (error: { stderr: string }) => error,
    );
    expect(bad.stderr).to.contain('is not a valid user name');
  });

  it('stops cleanly on SIGTERM', async () => {
    const second = await startProcess({ CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(await freePort()) });
    expect(second.output()).to.contain('The kubeconfig is');
    const exited = new Promise<number | null>((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });

  it('refuses to start with an invalid configuration, saying why', async () => {
    const failed = await run(process.execPath, ['src/main.ts'], {
      cwd: root,
      env: { ...process.env, CFAPI_DATA_DIR: dataDir, CFAPI_BACKEND: 'etcd' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect((failed as { code: number }).code).to.equal(1);
    expect((failed as { stderr: string }).stderr)
      .to.contain('Invalid configuration')
      .and.to.contain('backend');
  });
});
