import { LRUCache } from 'lru-cache';
import { mastersGroup } from '../../auth/identity.ts';
import type { PolicyRule, StoredObject } from '../objects.ts';
import type { ObjectTable } from './object-table.ts';
import {
  compilePolicy,
  rulesAllow,
  rulesFor,
  type CompiledPolicy,
  type RbacObjects,
  type RequestAttributes,
  type UserInfo,
} from './rbac-authorizer.ts';

/**
 * The RBAC objects compiled once, and each user's rules per namespace computed once, until an RBAC
 * object changes. Then a check costs a map lookup and a scan of that user's few rules.
 */
export class RbacPolicy {
  readonly #load: () => RbacObjects;
  #compiled: CompiledPolicy | undefined;
  /** Rule sets per user and namespace; the least recently used is dropped first when full. */
  readonly #rules = new LRUCache<string, readonly PolicyRule[]>({ max: 10_000 });

  constructor(load: () => RbacObjects) {
    this.#load = load;
  }

  /** Forget everything compiled: call after any write to a Role, ClusterRole or binding. */
  invalidate(): void {
    this.#compiled = undefined;
    this.#rules.clear();
  }

  allows(user: UserInfo, request: RequestAttributes): boolean {
    if (user.groups.includes(mastersGroup)) return true;
    return rulesAllow(this.rulesFor(user, request.namespace), request);
  }

  /** The rules `user` holds in `namespace` (undefined: cluster-wide only); shared, so not to be changed. */
  rulesFor(user: UserInfo, namespace: string | undefined): readonly PolicyRule[] {
    const key = `${namespace ?? ''}\u0000${user.name}\u0000${user.groups.join('\u0000')}`;
    let rules = this.#rules.get(key);
    if (rules === undefined) {
      this.#compiled ??= compilePolicy(this.#load());
      rules = rulesFor(this.#compiled, user, namespace);
      this.#rules.set(key, rules);
    }
    return rules;
  }
}

/** The stored RBAC objects, as the authorizer reads them. */
export function rbacObjectsIn(table: ObjectTable): RbacObjects {
  const all = <K extends 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding'>(kind: K) =>
    table.allOf(kind) as unknown as StoredObject<K>[];
  const rules = (role: StoredObject<'Role' | 'ClusterRole'>) => ({
    name: role.metadata.name,
    namespace: role.metadata.namespace ?? '',
    rules: role.rules ?? [],
  });
  const binding = (stored: StoredObject<'RoleBinding' | 'ClusterRoleBinding'>) => ({
    namespace: stored.metadata.namespace ?? '',
    subjects: stored.subjects ?? [],
    roleRef: stored.roleRef,
  });
  return {
    roles: all('Role').map(rules),
    clusterRoles: all('ClusterRole').map(rules),
    roleBindings: all('RoleBinding').map(binding),
    clusterRoleBindings: all('ClusterRoleBinding').map(binding),
  };
}
