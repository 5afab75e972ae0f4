import { parseAuthorizationHeader } from '../auth/authorization-header.ts';
import type { AuthInfo, Authenticator } from '../auth/identity.ts';

type Entry = { info: AuthInfo; expiresAt: number };

/**
 * Turns a request's Authorization header into the caller's identity. Accepted headers are remembered
 * for a short while (Korifi: 120 s), keyed by the header itself, so a burst of requests proves a token
 * or certificate once and skips even the parsing; rejections are never cached.
 */
export class RequestAuthenticator {
  readonly #authenticator: Authenticator;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: { authenticator: Authenticator; ttlMs?: number; maxEntries?: number; now?: () => number }) {
    this.#authenticator = options.authenticator;
    this.#ttlMs = options.ttlMs ?? 120_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  async authenticate(header: string | undefined): Promise<AuthInfo> {
    const cached = header ? this.#entries.get(header) : undefined;
    if (cached && cached.expiresAt > this.#now()) return cached.info;
    const credentials = parseAuthorizationHeader(header);
    const info = { identity: await this.#authenticator.authenticate(credentials), credentials };
    this.#remember(header!, info);
    return info;
  }

  #remember(header: string, info: AuthInfo): void {
    this.#entries.delete(header);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(header, { info, expiresAt: this.#now() + this.#ttlMs });
  }
}
