import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { freePort, projectRoot, startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { authHeaders, contractFetch, readKubeconfigUser } from '../support/test-server.ts';

const root = projectRoot;
const run = promisify(execFile);
const startProcess = startServerProcess;

describe('the server process', function () {
  this.timeout(90_000); // each test may start a server process, slow on a loaded machine
  let dataDir: string;
  let port: number;
  let server: ServerProcess;
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
    // An https server under .invalid: the cf CLI sends credentials, and kubectl cannot reach anything with it.
    expect(kubeconfig['clusters']).to.deep.equal([
      { name: 'cf-k8s-api', cluster: { server: 'https://not-a-kubernetes-cluster.cf-k8s-api.invalid' } },
    ]);
    const admin = await readKubeconfigUser(kubeconfigPath, 'admin');
    expect(admin.certificatePem).to.contain('BEGIN CERTIFICATE');
    expect(admin.privateKeyPem).to.contain('BEGIN PRIVATE KEY');
    const response = await contractFetch(`http://127.0.0.1:${port}`, '/whoami', { headers: authHeaders.clientCert(admin) });
    expect(response.body).to.deep.equal({ name: 'admin', kind: 'User' });
  });

  it('gives other kubeconfig readers a server that fails at once instead of reaching some other server', async () => {
    const kubeconfig = parseYaml(await readFile(join(dataDir, 'kubeconfig'), 'utf8')) as { clusters: { cluster: { server: string } }[] };
    const server = kubeconfig.clusters[0]!.cluster.server;
    const failure = await fetch(`${server}/api`).catch((error: unknown) => error as Error & { cause?: { code?: string } });
    expect(failure).to.be.instanceOf(Error);
    expect((failure as { cause?: { code?: string } }).cause?.code).to.equal('ENOTFOUND');
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

  it('refuses a second server on the same data directory, saying why', async () => {
    const failed = await run(process.execPath, ['src/main.ts'], {
      cwd: root,
      env: { ...process.env, CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(await freePort()) },
    }).catch((error: { code: number; stderr: string }) => error);
    expect((failed as { code: number }).code).to.equal(1);
    expect((failed as { stderr: string }).stderr).to.contain('is in use by another server process');
  });

  it('stops cleanly on SIGTERM, and a restart finds its data again', async () => {
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    server = await startProcess({ CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(port) });
    expect(server.output()).to.contain('The kubeconfig is');
    const admin = await readKubeconfigUser(join(dataDir, 'kubeconfig'), 'admin');
    expect((await contractFetch(`http://127.0.0.1:${port}`, '/whoami', { headers: authHeaders.bearer(admin) })).status).to.equal(200);
  });

  it('brings a kubeconfig written by an earlier release up to date at start, keeping its users', async () => {
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    // What releases before the fix wrote: a plain-http server, for which the cf CLI sends no credentials.
    const old = (await readFile(kubeconfigPath, 'utf8')).replace(
      'https://not-a-kubernetes-cluster.cf-k8s-api.invalid',
      `http://127.0.0.1:${port}`,
    );
    await writeFile(kubeconfigPath, old);
    server = await startProcess({ CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(port) });
    expect(server.output()).to.contain('Updated its cluster entry');
    const kubeconfig = parseYaml(await readFile(kubeconfigPath, 'utf8')) as { clusters: unknown[]; users: { name: string }[] };
    expect(kubeconfig.clusters).to.deep.equal([
      { name: 'cf-k8s-api', cluster: { server: 'https://not-a-kubernetes-cluster.cf-k8s-api.invalid' } },
    ]);
    expect(kubeconfig.users.map((user) => user.name)).to.deep.equal(['admin', 'alice']);
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
