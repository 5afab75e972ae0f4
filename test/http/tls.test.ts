import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { ContractChecker } from '../support/contract.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/** A self-signed serving certificate for 127.0.0.1, made with openssl. */
function selfSignedCertificate(): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cf-api-tls-'));
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    {
      stdio: 'ignore',
    },
  );
  return { certFile, keyFile };
}

function httpsGet(url: string): Promise<{ status: number; body: string; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    get(url, { rejectUnauthorized: false }, (response) => {
      const protocol = (response.socket as TLSSocket).getProtocol();
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, protocol }));
    }).on('error', reject);
  });
}

describe('serving over TLS', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { tls: selfSignedCertificate() } });
  });
  after(() => server.stop());

  it('serves HTTPS with TLS 1.2 or later when a certificate is configured', async () => {
    expect(server.url).to.match(/^https:\/\//);
    const response = await httpsGet(`${server.url}/v3/info`);
    const body = JSON.parse(response.body) as unknown;
    const problems = (await ContractChecker.load()).check({
      method: 'GET',
      path: '/v3/info',
      status: response.status,
      headers: new Headers(),
      body,
    });
    expect(problems).to.deep.equal([]);
    expect(response.status).to.equal(200);
    expect(body).to.have.property('name', 'cf-k8s-api');
    expect(['TLSv1.2', 'TLSv1.3']).to.include(response.protocol);
  });
});
