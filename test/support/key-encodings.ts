import { createPrivateKey } from 'node:crypto';

/** How other tools write a private key: the DER encoding and the PEM label, which need not agree. */
export type KeyEncoding = { encoding: 'pkcs1' | 'pkcs8' | 'sec1'; label: string };

/** Encodings Go's tls.X509KeyPair reads for an RSA key / an EC key, labels included. */
export const rsaKeyEncodings: KeyEncoding[] = [
  { encoding: 'pkcs1', label: 'RSA PRIVATE KEY' },
  { encoding: 'pkcs1', label: 'PRIVATE KEY' },
  { encoding: 'pkcs8', label: 'PRIVATE KEY' },
];
export const ecKeyEncodings: KeyEncoding[] = [
  { encoding: 'sec1', label: 'EC PRIVATE KEY' },
  { encoding: 'sec1', label: 'PRIVATE KEY' },
  { encoding: 'pkcs8', label: 'EC PRIVATE KEY' },
];

/** Re-encodes a PEM private key the way `encoding` says. */
export function reencodeKey(privateKeyPem: string, { encoding, label }: KeyEncoding): string {
  const der = createPrivateKey(privateKeyPem).export({ format: 'der', type: encoding });
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
