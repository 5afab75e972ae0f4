import { LRUCache } from 'lru-cache';
import type { Identity } from '../auth/identity.ts';
import type { Store } from '../store/port.ts';
import { namespacesNaming } from './visibility.ts';

/**
 * The warning Korifi sends to callers without any RoleBinding in the root namespace: such a user can
 * log in but will see nothing. A positive answer is cached for two minutes per identity (roles are
 * rarely taken away, and asking on every request would double the apiserver calls).
 */
export class RoleWarnings {
  readonly #store: Store;
  readonly #rootNamespace: string;
  /** Identities known to hold a role; the least recently seen is forgotten first when full. */
  readonly #holders: LRUCache<string, true>;

  constructor(store: Store, rootNamespace: string, cache: { maxEntries?: number; now?: () => number } = {}) {
    this.#store = store;
    this.#rootNamespace = rootNamespace;
    this.#holders = new LRUCache<string, true>({
      max: cache.maxEntries ?? 10_000,
      ttl: 120_000,
      ...(cache.now ? { perf: { now: cache.now }, ttlResolution: 0 } : {}),
    });
  }

  async warningsFor(identity: Identity): Promise<string[]> {
    const key = `${identity.kind}/${identity.name}/${identity.groups.join(',')}`;
    if (this.#holders.get(key)) return [];
    const bindings = await this.#store.privileged().list('RoleBinding', { namespace: this.#rootNamespace });
    const holdsRole = namespacesNaming(bindings.items, identity).has(this.#rootNamespace);
    if (!holdsRole)
      return [
        `Warning: subject '${identity.kind}/${identity.name}' has no CF roles assigned. This is not supported and may cause unexpected behaviour.`,
      ];
    this.#holders.set(key, true);
    return [];
  }
}
