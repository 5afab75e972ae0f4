import { StoreError, storeErrors } from '../errors.ts';
import type { PolicyRule, RoleRef } from '../objects.ts';
import type { ObjectTable } from './object-table.ts';
import { mastersGroup } from '../../auth/identity.ts';
import type { UserInfo } from './rbac-authorizer.ts';
import { uncoveredRules } from './rbac-coverage.ts';
import { notHeldMessage } from './rbac-grant-message.ts';
import type { RbacPolicy } from './rbac-policy.ts';
import { jsonEqual } from '../json-equal.ts';
import { descriptorOf, type ObjectKey, type Resource } from './resource.ts';
import type { WriteAdmission } from './write-context.ts';

const rbacGroup = 'rbac.authorization.k8s.io';

/** What it takes to set an aggregationRule, which can gather any permission. */
const fullAuthority: PolicyRule[] = [
  { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
  { nonResourceURLs: ['*'], verbs: ['*'] },
];

/**
 * The apiserver's RBAC storage (`pkg/registry/rbac/*policybased`): a user may only write a Role or
 * ClusterRole whose rules they already hold (in its namespace, or cluster-wide) unless they may
 * `escalate` it, and only bind a role whose rules they hold (in the binding's namespace) unless they
 * may `bind` it. Writes that only touch ownerReferences and finalizers (the garbage collector's
 * fields) pass; so does system:masters.
 */
export function escalationCheck(policy: RbacPolicy, user: UserInfo): WriteAdmission {
  return (next, current, table) => {
    const role = next.kind === 'Role' || next.kind === 'ClusterRole';
    const binding = next.kind === 'RoleBinding' || next.kind === 'ClusterRoleBinding';
    if ((!role && !binding) || user.groups.includes(mastersGroup)) return;
    if (current !== undefined && onlyGarbageCollectorFields(next, current)) return;
    if (role) checkRole(policy, user, next, current);
    else checkBinding(policy, user, next, table);
  };
}

function checkRole(policy: RbacPolicy, user: UserInfo, next: Resource, current: Resource | undefined): void {
  const { plural } = descriptorOf(next.kind);
  const namespace = next.metadata.namespace;
  // A create names no object (it goes to the collection), so only an unrestricted `escalate` applies to it.
  const name = current === undefined ? undefined : next.metadata.name;
  if (policy.allows(user, { verb: 'escalate', apiGroup: rbacGroup, resource: plural, namespace, name })) return;
  const held = policy.rulesFor(user, namespace);
  refuseUnheld(next, user, uncoveredRules(held, rulesOf(next)));
  if (hasAggregationRule(next) || (current !== undefined && hasAggregationRule(current))) {
    if (uncoveredRules(held, fullAuthority).length > 0) {
      throw forbidden(next, 'must have cluster-admin privileges to use the aggregationRule');
    }
  }
}

function checkBinding(policy: RbacPolicy, user: UserInfo, next: Resource, table: ObjectTable): void {
  const roleRef = next.roleRef as Partial<RoleRef> | undefined;
  const namespace = next.metadata.namespace;
  const roleKey = referencedRole(roleRef, namespace);
  // A roleRef that refers to nothing a binding may name is the validation's to refuse.
  if (roleKey === undefined) return;
  const resource = descriptorOf(roleKey.kind).plural;
  const apiGroup = roleRef?.apiGroup ?? rbacGroup;
  if (policy.allows(user, { verb: 'bind', apiGroup, resource, namespace, name: roleKey.name })) return;
  const role = table.read(roleKey);
  if (role === undefined) throw storeErrors.notFound(`${descriptorOf(next.kind).plural}.${rbacGroup}`, roleKey.name);
  refuseUnheld(next, user, uncoveredRules(policy.rulesFor(user, namespace), rulesOf(role.resource)));
}

function referencedRole(roleRef: Partial<RoleRef> | undefined, namespace: string | undefined): ObjectKey | undefined {
  if (typeof roleRef !== 'object' || roleRef === null || typeof roleRef.name !== 'string' || roleRef.name === '') return undefined;
  if (roleRef.kind === 'ClusterRole') return { kind: 'ClusterRole', namespace: '', name: roleRef.name };
  if (roleRef.kind === 'Role' && namespace !== undefined) return { kind: 'Role', namespace, name: roleRef.name };
  return undefined;
}

function refuseUnheld(object: Resource, user: UserInfo, missing: PolicyRule[]): void {
  if (missing.length > 0) throw forbidden(object, notHeldMessage(user, missing));
}

function forbidden(object: Resource, reason: string): StoreError {
  return new StoreError('Forbidden', `${descriptorOf(object.kind).plural}.${rbacGroup} "${object.metadata.name}" is forbidden: ${reason}`);
}

function rulesOf(role: Resource): PolicyRule[] {
  return Array.isArray(role.rules) ? (role.rules as PolicyRule[]) : [];
}

function hasAggregationRule(role: Resource): boolean {
  const selectors = (role.aggregationRule as { clusterRoleSelectors?: unknown[] } | undefined)?.clusterRoleSelectors;
  return Array.isArray(selectors) && selectors.length > 0;
}

/** `IsOnlyMutatingGCFields`: equal once ownerReferences, finalizers and the write record are left aside. */
function onlyGarbageCollectorFields(next: Resource, current: Resource): boolean {
  const strip = (resource: Resource): Resource => {
    const metadata: Record<string, unknown> = { ...resource.metadata };
    for (const field of ['ownerReferences', 'finalizers', 'managedFields', 'resourceVersion']) delete metadata[field];
    return { ...resource, metadata: metadata as Resource['metadata'] };
  };
  return jsonEqual(strip(next), strip(current));
}
