import type { Identity } from '../auth/identity.ts';
import type { Store } from '../store/port.ts';
import { namespacesNaming } from './visibility.ts';

const positiveCacheMs = 120_000;
const maxRemembered = 10_000;

/**
 * The warning Korifi sends to callers without any RoleBinding in the root namespace: such a user can
 * log in but will see nothing. A positive answer is cached for two minutes per identity (roles are
 * rarely taken away, and asking on every request would double the apiserver calls).
 */
export class RoleWarnings {
  readonly #store: Store;
  readonly #rootNamespace: string;
  readonly #holders = new Map<string, number>();

  constructor(store: Store, rootNamespace: string) {
    this.#store = store;
    this.#rootNamespace = rootNamespace;
  }

  async warningsFor(identity: Identity): Promise<string[]> {
    const key = `${identity.kind}/${identity.name}/${identity.groups.join(',')}`;
    const cachedUntil = this.#holders.get(key);
    if (cachedUntil !== undefined && cachedUntil > Date.now()) return [];
    this.#holders.delete(key);
    const bindings = await this.#store.privileged().list('RoleBinding', { namespace: this.#rootNamespace });
    const holdsRole = namespacesNaming(bindings.items, identity).has(this.#rootNamespace);
    if (!holdsRole)
      return [
        `Warning: subject '${identity.kind}/${identity.name}' has no CF roles assigned. This is not supported and may cause unexpected behaviour.`,
      ];
    if (this.#holders.size >= maxRemembered) this.#forgetExpired();
    this.#holders.set(key, Date.now() + positiveCacheMs);
    return [];
  }

  #forgetExpired(): void {
    const now = Date.now();
    for (const [key, until] of this.#holders) if (until <= now) this.#holders.delete(key);
    // Still full of live entries: start over rather than grow without bound.
    if (this.#holders.size >= maxRemembered) this.#holders.clear();
  }
}
