import { createHash, randomUUID } from 'node:crypto';
import type { NewObject, Subject } from '../../store/objects.ts';
import { cfRoles, type CfRoleName } from './cf-roles.ts';
import { propagateRoleAnnotation, roleGuidLabel } from './role-binding-marks.ts';

const serviceAccountPrefix = 'system:serviceaccount:';

/** The RBAC subject a CF user name stands for: `system:serviceaccount:<ns>:<name>` is a ServiceAccount. */
export function subjectOfUser(userName: string): Subject {
  if (userName.startsWith(serviceAccountPrefix)) {
    const [namespace = '', ...rest] = userName.slice(serviceAccountPrefix.length).split(':');
    return { kind: 'ServiceAccount', namespace, name: rest.join(':') };
  }
  return { kind: 'User', name: userName, apiGroup: 'rbac.authorization.k8s.io' };
}

/**
 * A role's RoleBinding name is derived from its type and subject (Korifi's scheme), so one user holds a
 * role in a namespace at most once: a second grant is an AlreadyExists.
 */
export function roleBindingName(role: CfRoleName, subject: Subject): string {
  const who = subject.kind === 'ServiceAccount' ? `${subject.namespace ?? ''}/${subject.name}` : subject.name;
  return `cf-${createHash('sha256').update(`${role}::${who}`).digest('hex')}`;
}

/** A new RoleBinding that grants `role` to `userName` in `namespace`, with a fresh role GUID. */
export function newRoleBinding(role: CfRoleName, userName: string, namespace: string): NewObject<'RoleBinding'> {
  const subject = subjectOfUser(userName);
  return {
    kind: 'RoleBinding',
    metadata: {
      name: roleBindingName(role, subject),
      namespace,
      labels: { [roleGuidLabel]: randomUUID() },
      annotations: { [propagateRoleAnnotation]: String(cfRoles[role].propagate) },
    },
    subjects: [subject],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: cfRoles[role].clusterRole },
  };
}
