import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { CertificateAuthority, KeyPair } from '../../src/auth/certificate-authority.ts';

export const tokenService = 'cfapi-test-registry';
export const tokenIssuer = 'cfapi-test-token-issuer';

/**
 * A token endpoint of Docker's token API for the test registry, as real registries put in front of
 * them: it checks the basic credentials and answers `{"token"}`, an ES256 JWT granting the asked
 * scope, signed with a key whose certificate (in the `x5c` header) the registry trusts through the
 * test CA. Wrong or missing credentials get 401.
 */
export async function startTokenServer(
  ca: CertificateAuthority,
  serving: KeyPair,
  port: number,
  accepts: { username: string; password: string },
): Promise<Server> {
  const signing = await ca.issueClientCertificate(tokenIssuer);
  const signingKey = createPrivateKey(signing.privateKeyPem);
  const x5c = [new X509Certificate(signing.certificatePem).raw.toString('base64')];
  const expected = `Basic ${Buffer.from(`${accepts.username}:${accepts.password}`).toString('base64')}`;
  const server = createServer({ cert: serving.certificatePem, key: serving.privateKeyPem }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://token');
    if (request.headers.authorization !== expected) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"wrong credentials"}');
      return;
    }
    const header = { typ: 'JWT', alg: 'ES256', x5c };
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: tokenIssuer,
      sub: accepts.username,
      aud: url.searchParams.get('service') ?? '',
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access: url.searchParams.getAll('scope').map(parseScope),
    };
    const payload = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(payload), { key: signingKey, dsaEncoding: 'ieee-p1363' });
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${payload}.${base64url(signature)}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

/** `repository:<name>:<actions>`, the name possibly holding colons (a registry host with a port). */
function parseScope(scope: string): { type: string; name: string; actions: string[] } {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',') };
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}
