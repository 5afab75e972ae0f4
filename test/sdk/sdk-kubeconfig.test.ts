import { expect } from 'chai';
import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import { authorizationHeader, createCfClient, credentialsFromKubeconfig, KubeconfigError } from '../../sdk/src/index.ts';
import { run } from './support.ts';

describe('SDK credentials from a kubeconfig', function () {
  this.timeout(20_000);
  let dir: string;
  let certificatePem: string;
  let privateKeyPem: string;
  const savedKubeconfig = process.env['KUBECONFIG'];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cfapi-sdk-kubeconfig-'));
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=alice',
      '-days',
      '1',
      '-keyout',
      join(dir, 'alice.key'),
      '-out',
      join(dir, 'alice.crt'),
    ]);
    certificatePem = await readFile(join(dir, 'alice.crt'), 'utf8');
    privateKeyPem = await readFile(join(dir, 'alice.key'), 'utf8');
  });
  after(async () => {
    if (savedKubeconfig === undefined) delete process.env['KUBECONFIG'];
    else process.env['KUBECONFIG'] = savedKubeconfig;
    await rm(dir, { recursive: true, force: true });
  });

  const write = async (name: string, config: Record<string, unknown>) => {
    const path = join(dir, name);
    await writeFile(
      path,
      stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: 'https://x.invalid' } }], ...config }),
    );
    return path;
  };
  const base64 = (text: string) => Buffer.from(text).toString('base64');

  it('sends the leaf certificate and the key as PKCS#8, as the cf CLI does, whatever encoding the key had', () => {
    const pkcs1 = createPrivateKey(privateKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
    const header = authorizationHeader({ certificatePem: `${certificatePem}${certificatePem}`, privateKeyPem: pkcs1 });
    expect(header).to.match(/^ClientCert [A-Za-z0-9+/]+=*$/);
    const pem = Buffer.from(header.slice('ClientCert '.length), 'base64').toString('utf8');
    expect(pem.match(/-----BEGIN CERTIFICATE-----/g)).to.have.length(1);
    expect(pem).to.contain(certificatePem.trim());
    expect(pem).to.match(/-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(createPrivateKey(pem).export({ type: 'pkcs1', format: 'pem' }).toString()).to.equal(pkcs1);
    expect(authorizationHeader({ token: 'abc' })).to.equal('Bearer abc');
    expect(() => authorizationHeader({ certificatePem: 'nope', privateKeyPem })).to.throw(KubeconfigError, /not a PEM certificate/);
  });

  it('takes the current context, a named context or a named user; a certificate wins over a token', async () => {
    const path = await write('config', {
      contexts: [
        { name: 'as-alice', context: { cluster: 'c', user: 'alice' } },
        { name: 'as-bob', context: { cluster: 'c', user: 'bob' } },
      ],
      'current-context': 'as-alice',
      users: [
        {
          name: 'alice',
          user: { token: 'ignored', 'client-certificate-data': base64(certificatePem), 'client-key-data': base64(privateKeyPem) },
        },
        { name: 'bob', user: { token: 'bob-token' } },
        { name: 'carol', user: { tokenFile: 'carol.token' } },
        { name: 'dave', user: { 'client-certificate': join(dir, 'alice.crt'), 'client-key': 'alice.key' } },
        { name: 'half', user: { 'client-certificate-data': base64(certificatePem) } },
        { name: 'empty', user: {} },
      ],
    });
    await writeFile(join(dir, 'carol.token'), 'carol-token\n');
    expect(await credentialsFromKubeconfig({ path })).to.deep.equal({ certificatePem, privateKeyPem });
    expect(await credentialsFromKubeconfig({ path, context: 'as-bob' })).to.deep.equal({ token: 'bob-token' });
    expect(await credentialsFromKubeconfig({ path, user: 'carol' })).to.deep.equal({ token: 'carol-token' });
    expect(await credentialsFromKubeconfig({ path, user: 'dave' })).to.deep.equal({ certificatePem, privateKeyPem });

    const failure = (options: Parameters<typeof credentialsFromKubeconfig>[0]) =>
      credentialsFromKubeconfig(options).then(
        () => 'resolved',
        (error: Error) => `${error.name}: ${error.message}`,
      );
    expect(await failure({ path, user: 'zoe' })).to.equal('KubeconfigError: kubernetes user not found in configuration: zoe');
    expect(await failure({ path, context: 'nowhere' })).to.equal('KubeconfigError: context not found in configuration: nowhere');
    expect(await failure({ path, user: 'half' })).to.match(/^KubeconfigError: user half has a client certificate without its key/);
    expect(await failure({ path, user: 'empty' })).to.equal('KubeconfigError: user empty has neither a client certificate nor a token');
    expect(await failure({ path: join(dir, 'missing') })).to.match(/^KubeconfigError: cannot read kubeconfig/);
  });

  it('merges the files of KUBECONFIG, the first one winning', async () => {
    const first = await write('first', { 'current-context': 'main', users: [{ name: 'erin', user: { token: 'from-first' } }] });
    const second = await write('second', {
      'current-context': 'other',
      contexts: [{ name: 'main', context: { cluster: 'c', user: 'erin' } }],
      users: [{ name: 'erin', user: { token: 'from-second' } }],
    });
    process.env['KUBECONFIG'] = [first, second].join(delimiter);
    expect(await credentialsFromKubeconfig()).to.deep.equal({ token: 'from-first' });
  });

  it('asks a credentials function before every request', async () => {
    let calls = 0;
    const seen: string[] = [];
    const cf = createCfClient({
      baseUrl: 'http://127.0.0.1:1',
      auth: async () => ({ token: `token-${++calls}` }),
      fetch: async (request) => {
        seen.push(request.headers.get('authorization') ?? '');
        return Response.json({ name: 'x' });
      },
    });
    await cf.GET('/whoami');
    await cf.GET('/whoami');
    expect(seen).to.deep.equal(['Bearer token-1', 'Bearer token-2']);
  });
});
