import type { Identity } from '../auth/identity.ts';
import type { StoredObject, Subject } from '../store/objects.ts';
import { subjectNamesUser } from '../store/rbac-subjects.ts';

/**
 * Kubernetes' own groups (system:authenticated, system:serviceaccounts, …) are everyone or every
 * workload: a binding to one would make an org visible to all, so for visibility they do not count.
 */
function isSystemGroup(subject: Subject): boolean {
  return subject.kind === 'Group' && subject.name.startsWith('system:');
}

/**
 * Whether a role binding names this caller among its subjects, by the RBAC authorizer's own rule (a
 * service account without a namespace is the binding's), system groups aside.
 */
export function bindingNames(binding: StoredObject<'RoleBinding'>, identity: Identity): boolean {
  const namespace = binding.metadata.namespace;
  return (binding.subjects ?? []).some((subject) => !isSystemGroup(subject) && subjectNamesUser(subject, identity, namespace));
}
