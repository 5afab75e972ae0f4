import { LRUCache } from 'lru-cache';
import { mastersGroup } from '../../auth/identity.ts';
import type { PolicyRule, StoredObject } from '../objects.ts';
import type { ObjectTable } from './object-table.ts';
import {
  compilePolicy,
  ruleAllows,
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
  /** What each rule set allows per verb, API group and resource (see NameGrant), worked out on first use. */
  readonly #grants = new WeakMap<readonly PolicyRule[], Map<string, NameGrant>>();

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
    const grant = this.#grantOf(this.rulesFor(user, request.namespace), request);
    return grant.anyName || (request.name !== undefined && request.name !== '' && grant.names.has(request.name));
  }

  /**
   * What the rules allow for the request's verb, API group and resource, whatever its name: the same
   * answer as asking every rule (rulesAllow), kept per rule set, so a check is two map lookups.
   */
  #grantOf(rules: readonly PolicyRule[], request: RequestAttributes): NameGrant {
    let byRequest = this.#grants.get(rules);
    if (byRequest === undefined) {
      byRequest = new Map();
      this.#grants.set(rules, byRequest);
    }
    const key = `${request.verb}\u0000${request.apiGroup}\u0000${request.resource}\u0000${request.subresource ?? ''}`;
    let grant = byRequest.get(key);
    if (grant === undefined) {
      grant = nameGrant(rules, request);
      byRequest.set(key, grant);
    }
    return grant;
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

/** Which names a rule set allows a verb on a resource for: any (a rule without resourceNames), or these. */
type NameGrant = { anyName: boolean; names: ReadonlySet<string> };

function nameGrant(rules: readonly PolicyRule[], request: RequestAttributes): NameGrant {
  const unnamed = { ...request, name: undefined };
  const names = new Set<string>();
  let anyName = false;
  for (const rule of rules) {
    const ruleNames = rule.resourceNames ?? [];
    if (ruleNames.length === 0) anyName ||= ruleAllows(rule, unnamed);
    for (const name of ruleNames.filter((ruleName) => ruleAllows(rule, { ...request, name: ruleName }))) names.add(name);
  }
  return { anyName, names };
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
