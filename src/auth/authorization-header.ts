import { invalidAuthToken, notAuthenticated } from '../errors/api-error.ts';
import type { Credentials } from './identity.ts';
import { normalizePrivateKeyPem } from './private-key.ts';

const strictBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;

/**
 * Parses `Authorization` as Korifi does: `<scheme> <value>` split on single spaces, the scheme
 * case-insensitive; `Bearer <token>`, or `ClientCert <standard base64 of a PEM certificate followed by
 * its PEM private key>` (the key in any encoding Go's TLS reads, handed on as PKCS#8). A missing header is 401 CF-NotAuthenticated; anything else wrong is 401
 * CF-InvalidAuthToken.
 */
export function parseAuthorizationHeader(header: string | undefined): Credentials {
  if (header === undefined || header === '') throw notAuthenticated();
  const parts = header.split(' ');
  if (parts.length !== 2 || parts[1] === '') throw invalidAuthToken();
  const [scheme, value] = parts as [string, string];
  switch (scheme.toLowerCase()) {
    case 'bearer':
      return { scheme: 'bearer', token: value };
    case 'clientcert':
      return parseClientCert(value);
    default:
      throw invalidAuthToken();
  }
}

function parseClientCert(value: string): Credentials {
  if (!strictBase64.test(value)) throw invalidAuthToken();
  const pem = Buffer.from(value, 'base64').toString('utf8');
  const blocks = [...pem.matchAll(pemBlock)];
  const certificate = blocks.find((block) => block[1] === 'CERTIFICATE');
  // Go's tls.X509KeyPair: the first block labelled `PRIVATE KEY` or `… PRIVATE KEY`, whatever its encoding.
  const privateKey = blocks.find((block) => block[1] === 'PRIVATE KEY' || block[1]!.endsWith(' PRIVATE KEY'));
  const privateKeyPem = privateKey && normalizePrivateKeyPem(privateKey[0]);
  if (!certificate || !privateKeyPem) throw invalidAuthToken();
  return { scheme: 'clientCert', certificatePem: certificate[0], privateKeyPem };
}
