import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ControlPlane } from '../../scripts/control-plane/control-plane.ts';
import { CertificateAuthority } from '../../src/auth/certificate-authority.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { freePort, projectRoot, startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { authHeaders, contractFetch } from '../support/test-server.ts';
import { newRoleBinding } from '../../src/domain/roles/role-binding.ts';
import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';
import { uniqueName } from '../store/fixture.ts';
import { ecKeyEncodings, reencodeKey, rsaKeyEncodings } from '../support/key-encodings.ts';

const run = promisify(execFile);

describe('the server with --backend kubernetes (real kube-apiserver)', function () {
  let controlPlane: ControlPlane;
  let server: ServerProcess;
  let baseUrl: string;
  const rootNamespace = uniqueName('cf-process');

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    controlPlane = await sharedControlPlane();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = await startServerProcess(
      {
        CFAPI_LISTEN_PORT: String(port),
        CFAPI_LOG_LEVEL: 'warn',
        CFAPI_DATA_DIR: await mkdtemp(join(tmpdir(), 'cf-api-k8s-')),
        CFAPI_ROOT_NAMESPACE: rootNamespace,
      },
      ['--backend', 'kubernetes', '--kubeconfig', controlPlane.kubeconfigFile, '--reconcilers'],
    );
  });
  after(() => server?.child.kill('SIGTERM'));

  it('says which cluster it serves', () => {
    expect(server.output()).to.contain(`Kubernetes cluster ${controlPlane.server}`);
  });

  it('sets up its root namespace and default domain, and with --reconcilers makes orgs ready itself', async () => {
    expect(server.output()).to.contain(`created root namespace ${rootNamespace}`);
    expect(server.output()).to.contain('Reconcilers: running in this process');
    const pair = await controlPlane.issueUser('process-admin');
    const store = new KubernetesStore(adminKubeConfig(controlPlane));
    await store.privileged().create(newRoleBinding('admin', 'process-admin', rootNamespace));
    await store.close();
    const headers = { ...authHeaders.clientCert({ name: 'process-admin', token: '', ...pair }), 'Content-Type': 'application/json' };
    const created = await contractFetch(baseUrl, '/v3/organizations', {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'from-a-process' }),
    });
    expect(created.status, created.text).to.equal(201);
    const domains = await contractFetch(baseUrl, '/v3/domains', { headers });
    expect((domains.body as { resources: { name: string }[] }).resources.map((domain) => domain.name)).to.deep.equal(['apps.localhost']);
  });

  it('knows a user by a bearer token, through a TokenReview', async () => {
    const alice = controlPlane.tokenUsers.find((user) => user.name === 'token-alice')!;
    const response = await contractFetch(baseUrl, '/whoami', { headers: { Authorization: `Bearer ${alice.token}` } });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ name: 'token-alice', kind: 'User' });
  });

  it('knows a user by a client certificate the apiserver accepts', async () => {
    const pair = await controlPlane.issueUser('cert-carol', ['cf-users']);
    const response = await contractFetch(baseUrl, '/whoami', {
      headers: authHeaders.clientCert({ name: 'cert-carol', token: '', ...pair }),
    });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ name: 'cert-carol', kind: 'User' });
  });

  for (const [keyType, encodings] of [
    ['rsa-2048', rsaKeyEncodings],
    ['ec-p256', ecKeyEncodings],
  ] as const) {
    for (const encoding of encodings) {
      it(`knows a certificate user whose ${keyType} key is ${encoding.encoding} under "${encoding.label}", as Go TLS would`, async () => {
        const pair = await controlPlane.issueUser('cert-erin', [], keyType);
        const privateKeyPem = reencodeKey(pair.privateKeyPem, encoding);
        const response = await contractFetch(baseUrl, '/whoami', {
          headers: authHeaders.clientCert({ name: 'cert-erin', token: '', certificatePem: pair.certificatePem, privateKeyPem }),
        });
        expect(response.status, JSON.stringify(response.body)).to.equal(200);
        expect(response.body).to.deep.equal({ name: 'cert-erin', kind: 'User' });
      });
    }
  }

  it('answers 401 for a token the apiserver does not know', async () => {
    const response = await contractFetch(baseUrl, '/whoami', { headers: { Authorization: 'Bearer not-a-token' } });
    expect(response.status).to.equal(401);
    expect(response.body).to.deep.equal({ errors: [{ code: 1000, title: 'CF-InvalidAuthToken', detail: 'Invalid Auth Token' }] });
  });

  it('answers 401 for a certificate from a CA the apiserver does not trust', async () => {
    const stranger = await CertificateAuthority.loadOrCreate(await mkdtemp(join(tmpdir(), 'stranger-ca-')));
    const pair = await stranger.issueClientCertificate('cert-carol');
    const response = await contractFetch(baseUrl, '/whoami', {
      headers: authHeaders.clientCert({ name: 'cert-carol', token: '', ...pair }),
    });
    expect(response.status).to.equal(401);
    expect(response.body).to.deep.equal({ errors: [{ code: 1000, title: 'CF-InvalidAuthToken', detail: 'Invalid Auth Token' }] });
  });

  it('answers 401 for a certificate sent with a key that is not its own', async () => {
    const carol = await controlPlane.issueUser('cert-carol');
    const other = await controlPlane.issueUser('cert-dave');
    const headers = authHeaders.clientCert({
      name: 'cert-carol',
      token: '',
      certificatePem: carol.certificatePem,
      privateKeyPem: other.privateKeyPem,
    });
    const response = await contractFetch(baseUrl, '/whoami', { headers });
    expect(response.status).to.equal(401);
  });

  it('refuses to start when the cluster cannot be reached, saying so', async () => {
    const kubeconfig = join(await mkdtemp(join(tmpdir(), 'unreachable-')), 'kubeconfig');
    const deadPort = await freePort();
    await writeFile(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:${deadPort}", insecure-skip-tls-verify: true}}]\n` +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n',
    );
    const failed = await run(process.execPath, ['src/main.ts', '--backend', 'kubernetes', '--kubeconfig', kubeconfig], {
      cwd: projectRoot,
      env: { ...process.env, CFAPI_LISTEN_PORT: String(await freePort()) },
    }).catch((error: { code: number; stderr: string }) => error);
    expect((failed as { code: number }).code).to.equal(1);
    expect((failed as { stderr: string }).stderr).to.contain(`Cannot reach the Kubernetes API at https://127.0.0.1:${deadPort}`);
  });
});
