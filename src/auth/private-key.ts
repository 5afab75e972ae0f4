import { createPrivateKey, type KeyObject } from 'node:crypto';

/** Key types Go's TLS stack can sign a handshake with; others (X25519, DSA, ...) it refuses. */
const signingKeyTypes = new Set(['rsa', 'ec', 'ed25519']);
const derEncodings = ['pkcs1', 'pkcs8', 'sec1'] as const;

/**
 * Reads a PEM private key as Go's `tls.X509KeyPair` does, which is what the cf CLI, kubectl and Korifi
 * accept: the label is not trusted (tools write PKCS#1 RSA keys inside `PRIVATE KEY` blocks, or PKCS#8
 * inside `RSA PRIVATE KEY`), so the DER is tried as PKCS#1, then PKCS#8, then SEC1 EC. Returns the key
 * re-encoded as PKCS#8 PEM, the one form every consumer here (Node's crypto and TLS) reads, or undefined
 * when it is no usable private key.
 */
export function normalizePrivateKeyPem(pem: string): string | undefined {
  const der = pemBody(pem);
  if (!der) return undefined;
  for (const type of derEncodings) {
    const key = tryParse(der, type);
    if (key && signingKeyTypes.has(key.asymmetricKeyType ?? '')) return key.export({ format: 'pem', type: 'pkcs8' }).toString();
  }
  return undefined;
}

function tryParse(der: Buffer, type: (typeof derEncodings)[number]): KeyObject | undefined {
  try {
    return createPrivateKey({ key: der, format: 'der', type });
  } catch {
    return undefined;
  }
}

/** The base64 body of a single PEM block, decoded; PEM headers (`Proc-Type: …`) mean an encrypted key, which is refused. */
function pemBody(pem: string): Buffer | undefined {
  const lines = pem.trim().split(/\r?\n/).slice(1, -1);
  if (lines.length === 0 || lines.some((line) => line.includes(':'))) return undefined;
  const body = lines.join('');
  return /^[A-Za-z0-9+/]+={0,2}$/.test(body) ? Buffer.from(body, 'base64') : undefined;
}
