import { LRUCache } from 'lru-cache';
import { parseAuthorizationHeader } from '../auth/authorization-header.ts';
import type { AuthInfo, Authenticator } from '../auth/identity.ts';

/**
 * Turns a request's Authorization header into the caller's identity. Accepted headers are remembered
 * for a short while (Korifi: 120 s, counted from the check, so a revoked token stops working by then),
 * keyed by the header itself, so a burst of requests proves a token or certificate once and skips even
 * the parsing; the least recently used header goes first when the cache is full; rejections are never
 * cached.
 */
export class RequestAuthenticator {
  readonly #authenticator: Authenticator;
  readonly #accepted: LRUCache<string, AuthInfo>;

  constructor(options: { authenticator: Authenticator; ttlMs?: number; maxEntries?: number; now?: () => number }) {
    this.#authenticator = options.authenticator;
    this.#accepted = new LRUCache<string, AuthInfo>({
      max: options.maxEntries ?? 10_000,
      ttl: options.ttlMs ?? 120_000,
      // Read the clock on every check (the default reuses a reading for up to a millisecond).
      ttlResolution: 0,
      ...(options.now ? { perf: { now: options.now } } : {}),
    });
  }

  async authenticate(header: string | undefined): Promise<AuthInfo> {
    const cached = header ? this.#accepted.get(header) : undefined;
    if (cached) return cached;
    const credentials = parseAuthorizationHeader(header);
    const info = { identity: await this.#authenticator.authenticate(credentials), credentials };
    this.#accepted.set(header!, info);
    return info;
  }
}
