import { expect } from 'chai';
import { CertificateAuthority } from '../../src/auth/certificate-authority.ts';
import { authHeaders, startTestServer, type TestServer } from '../support/test-server.ts';
import { ecKeyEncodings, reencodeKey } from '../support/key-encodings.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const invalidAuthToken = { errors: [{ code: 1000, title: 'CF-InvalidAuthToken', detail: 'Invalid Auth Token' }] };
const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('authentication (getWhoAmI)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  const whoami = (authorization?: string) =>
    server.request('/whoami', authorization === undefined ? {} : { headers: { Authorization: authorization } });

  it('answers 401 CF-NotAuthenticated without an Authorization header', async () => {
    const response = await whoami();
    expect(response.status).to.equal(401);
    expect(response.body).to.deep.equal({ errors: [{ code: 10002, title: 'CF-NotAuthenticated', detail: 'Authentication error' }] });
  });

  for (const [label, header] of [
    ['a scheme without a value', 'Bearer'],
    ['three parts', 'Bearer abc def'],
    ['two spaces', 'Bearer  abc'],
    ['an unknown scheme', 'Basic YWRtaW46cGFzcw=='],
    ['invalid base64 in ClientCert', 'ClientCert not*base64!'],
    ['unpadded base64 in ClientCert', 'ClientCert YWJj ZA'],
    ['base64 that holds no PEM blocks', `ClientCert ${base64('hello world')}`],
    ['a certificate without its key', 'ClientCert CERT_ONLY'],
    ['a token the server never issued', 'Bearer 0123456789abcdef'],
  ] as const) {
    it(`answers 401 CF-InvalidAuthToken for ${label}`, async () => {
      const value = header === 'ClientCert CERT_ONLY' ? `ClientCert ${base64(server.admin.certificatePem)}` : header;
      const response = await whoami(value);
      expect(response.status).to.equal(401);
      expect(response.body).to.deep.equal(invalidAuthToken);
    });
  }

  it('names the user of a valid bearer token', async () => {
    const response = await server.request('/whoami', { headers: authHeaders.bearer(server.admin) });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ name: 'admin', kind: 'User' });
  });

  it('names the user of a valid client certificate', async () => {
    const response = await server.request('/whoami', { headers: authHeaders.clientCert(server.admin) });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ name: 'admin', kind: 'User' });
  });

  for (const encoding of ecKeyEncodings) {
    it(`accepts the client certificate's EC key as ${encoding.encoding} under "${encoding.label}", as Go TLS would`, async () => {
      const privateKeyPem = reencodeKey(server.admin.privateKeyPem, encoding);
      const response = await server.request('/whoami', { headers: authHeaders.clientCert({ ...server.admin, privateKeyPem }) });
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal({ name: 'admin', kind: 'User' });
    });
  }

  it('reads the scheme case-insensitively', async () => {
    const lower = await whoami(`bearer ${server.admin.token}`);
    const upper = await whoami(authHeaders.clientCert(server.admin).Authorization.replace('ClientCert', 'CLIENTCERT'));
    expect([lower.status, upper.status]).to.deep.equal([200, 200]);
  });

  it('refuses a certificate signed by another CA', async () => {
    const otherCa = await CertificateAuthority.loadOrCreate(join(await mkdtemp(join(tmpdir(), 'other-ca-')), 'auth'));
    const forged = await otherCa.issueClientCertificate('admin');
    const response = await whoami(`ClientCert ${base64(forged.certificatePem + forged.privateKeyPem)}`);
    expect(response.status).to.equal(401);
    expect(response.body).to.deep.equal(invalidAuthToken);
  });

  it('refuses a valid certificate sent with a key that is not its own', async () => {
    const otherCa = await CertificateAuthority.loadOrCreate(join(await mkdtemp(join(tmpdir(), 'other-ca-')), 'auth'));
    const strangerKey = (await otherCa.issueClientCertificate('x')).privateKeyPem;
    const response = await whoami(`ClientCert ${base64(server.admin.certificatePem + strangerKey)}`);
    expect(response.status).to.equal(401);
  });
});
