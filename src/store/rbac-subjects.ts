import type { Subject } from './objects.ts';

/** Who a subject is matched against: the name and groups the user authenticated with. */
export type SubjectUser = { name: string; groups: readonly string[] };

/**
 * Whether an RBAC subject names the user, as Kubernetes' RBAC authorizer decides it (`appliesToUser`,
 * pkg/registry/rbac/validation/rule.go): a User by name, a Group the user is in, a ServiceAccount as
 * the user `system:serviceaccount:<namespace>:<name>`. The apiserver accepts a ServiceAccount subject
 * without a namespace in a RoleBinding and stores it so; it then means the binding's own namespace. In
 * a ClusterRoleBinding (no namespace, and validation requires one there) such a subject names nobody.
 */
export function subjectNamesUser(subject: Subject, user: SubjectUser, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const namespace = subject.namespace || bindingNamespace;
      return !!namespace && user.name === `system:serviceaccount:${namespace}:${subject.name}`;
    }
    default:
      return false;
  }
}
