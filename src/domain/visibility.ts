import type { Identity } from '../auth/identity.ts';
import type { StoredObject } from '../store/objects.ts';
import type { StoreSession } from '../store/port.ts';
import { propagateRoleAnnotation } from './roles/role-binding-marks.ts';
import { bindingNames } from './subjects.ts';

/**
 * Which org and space namespaces a caller may see: those where a RoleBinding names them (any role),
 * as in Korifi. Admins see everything because their root binding is propagated into every org and
 * space namespace. Read once per request with the server's session, since callers cannot list
 * bindings across namespaces themselves.
 */
export class Visibility {
  readonly #server: StoreSession;
  readonly #identity: Identity;
  #bindings: Promise<StoredObject<'RoleBinding'>[]> | undefined;
  #namespaces: Promise<ReadonlySet<string>> | undefined;

  constructor(server: StoreSession, identity: Identity) {
    this.#server = server;
    this.#identity = identity;
  }

  /** Every RoleBinding of the cluster (read once). */
  allBindings(): Promise<StoredObject<'RoleBinding'>[]> {
    this.#bindings ??= this.#server.list('RoleBinding').then((list) => list.items);
    return this.#bindings;
  }

  /** Namespaces where some RoleBinding names the caller. */
  namespaces(): Promise<ReadonlySet<string>> {
    this.#namespaces ??= this.allBindings().then(
      (bindings) =>
        new Set(bindings.filter((binding) => bindingNames(binding, this.#identity)).map((binding) => binding.metadata.namespace ?? '')),
    );
    return this.#namespaces;
  }

  async canSee(namespace: string): Promise<boolean> {
    return (await this.namespaces()).has(namespace);
  }

  /**
   * Whether the caller sees a resource through its own namespace or a role propagated from above
   * (admins from the root namespace, org managers from the org's). Asking the ancestors directly still
   * works while the resource's namespace is being deleted and its copies of those roles are gone.
   */
  async canSeeFrom(own: string, ancestors: readonly string[]): Promise<boolean> {
    if (await this.canSee(own)) return true;
    const bindings = await this.allBindings();
    return bindings.some(
      (binding) =>
        ancestors.includes(binding.metadata.namespace ?? '') &&
        binding.metadata.annotations?.[propagateRoleAnnotation] === 'true' &&
        bindingNames(binding, this.#identity),
    );
  }
}
