import { LRUCache } from 'lru-cache';
import { parseAuthorizationHeader } from '../auth/authorization-header.ts';
import type { AuthInfo, Authenticator } from '../auth/identity.ts';
import type { CounterSeries } from '../observability/instruments.ts';

/** Where the cache counts its lookups (`cfapi_auth_cache_lookups_total{result}`). */
export type AuthCacheCounters = { hit: CounterSeries; miss: CounterSeries };

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
  readonly #counters: AuthCacheCounters | undefined;

  constructor(options: {
    authenticator: Authenticator;
    ttlMs?: number;
    maxEntries?: number;
    now?: () => number;
    counters?: AuthCacheCounters;
  }) {
    this.#authenticator = options.authenticator;
    this.#counters = options.counters;
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
    if (cached) {
      if (this.#counters) this.#counters.hit.value += 1;
      return cached;
    }
    // A lookup that found nothing; a request without the header looked nothing up.
    if (header && this.#counters) this.#counters.miss.value += 1;
    const credentials = parseAuthorizationHeader(header);
    const info = { identity: await this.#authenticator.authenticate(credentials), credentials };
    this.#accepted.set(header!, info);
    return info;
  }
}
