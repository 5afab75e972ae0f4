import type { Identity } from '../auth/identity.ts';
import type { Subject } from '../store/objects.ts';

/**
 * Whether an RBAC subject names this caller: a user by name, a service account by namespace and name
 * (its identity is `system:serviceaccount:<ns>:<name>`), a group the caller is in.
 */
export function subjectNames(subject: Subject, identity: Identity): boolean {
  switch (subject.kind) {
    case 'User':
      return identity.kind === 'User' && subject.name === identity.name;
    case 'ServiceAccount':
      return identity.kind === 'ServiceAccount' && identity.name === `system:serviceaccount:${subject.namespace ?? ''}:${subject.name}`;
    case 'Group':
      return identity.groups.includes(subject.name);
  }
}
