import { createHash } from 'node:crypto';
import type { Authenticator, Credentials, Identity } from './identity.ts';

type Entry = { identity: Identity; expiresAt: number };

/**
 * Remembers accepted credentials for a short while, as Korifi does (120 s), so a burst of requests
 * proves a token or certificate once. Rejections are not cached.
 */
export class CachingAuthenticator implements Authenticator {
  readonly #inner: Authenticator;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(options: { inner: Authenticator; ttlMs?: number; maxEntries?: number; now?: () => number }) {
    this.#inner = options.inner;
    this.#ttlMs = options.ttlMs ?? 120_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  async authenticate(credentials: Credentials): Promise<Identity> {
    const key = cacheKey(credentials);
    const cached = this.#entries.get(key);
    if (cached && cached.expiresAt > this.#now()) return cached.identity;
    const identity = await this.#inner.authenticate(credentials);
    if (this.#entries.size >= this.#maxEntries) this.#evictOldest();
    this.#entries.set(key, { identity, expiresAt: this.#now() + this.#ttlMs });
    return identity;
  }

  #evictOldest(): void {
    const oldest = this.#entries.keys().next();
    if (!oldest.done) this.#entries.delete(oldest.value);
  }
}

function cacheKey(credentials: Credentials): string {
  const material =
    credentials.scheme === 'bearer' ? `bearer\0${credentials.token}` : `cert\0${credentials.certificatePem}\0${credentials.privateKeyPem}`;
  return createHash('sha256').update(material).digest('base64');
}
