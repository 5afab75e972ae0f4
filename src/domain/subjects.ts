import type { Identity } from '../auth/identity.ts';
import type { StoredObject, Subject } from '../store/objects.ts';

/**
 * Whether an RBAC subject names this caller: a user by name, a service account by namespace and name
 * (its identity is `system:serviceaccount:<ns>:<name>`), a group the caller is in (not a system group).
 */
export function subjectNames(subject: Subject, identity: Identity): boolean {
  switch (subject.kind) {
    case 'User':
      return identity.kind === 'User' && subject.name === identity.name;
    case 'ServiceAccount':
      return identity.kind === 'ServiceAccount' && identity.name === `system:serviceaccount:${subject.namespace ?? ''}:${subject.name}`;
    case 'Group':
      // Kubernetes' own groups (system:authenticated, system:serviceaccounts, …) are everyone or every
      // workload: a binding to one would make an org visible to all, so they do not count.
      return !subject.name.startsWith('system:') && identity.groups.includes(subject.name);
  }
}

/** Whether a role binding names this caller among its subjects. */
export function bindingNames(binding: StoredObject<'RoleBinding'>, identity: Identity): boolean {
  return (binding.subjects ?? []).some((subject) => subjectNames(subject, identity));
}
