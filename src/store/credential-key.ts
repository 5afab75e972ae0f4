import { createHash } from 'node:crypto';
import type { Credentials } from '../auth/identity.ts';

const keys = new WeakMap<Credentials, string>();

/** A hash that names a user's credentials (never the credentials themselves) as a cache key. */
export function credentialKey(credentials: Credentials): string {
  const known = keys.get(credentials);
  if (known !== undefined) return known;
  const material =
    credentials.scheme === 'bearer' ? `b:${credentials.token}` : `c:${credentials.certificatePem}\n${credentials.privateKeyPem}`;
  const key = createHash('sha256').update(material).digest('base64url');
  keys.set(credentials, key);
  return key;
}
