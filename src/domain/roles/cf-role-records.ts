import type { StoredObject, Subject } from '../../store/objects.ts';
import { cfRoleOfClusterRole, cfRoles, type CfRoleName } from './cf-roles.ts';
import { propagatedFromLabel, roleGuidLabel } from './role-binding-marks.ts';

/** The role types a user can be given through the API: the organization and space roles. */
export type AssignableRoleType = Extract<CfRoleName, `organization_${string}` | `space_${string}`>;

/** A CF role as read from its RoleBinding. */
export type CfRoleRecord = {
  guid: string;
  type: AssignableRoleType;
  /** The user's name as a CF user GUID (`system:serviceaccount:<ns>:<name>` for service accounts). */
  userGuid: string;
  /** The org or space the role applies to: the namespace of its binding. */
  targetGuid: string;
  binding: StoredObject<'RoleBinding'>;
};

export function userNameOfSubject(subject: Subject): string {
  return subject.kind === 'ServiceAccount' ? `system:serviceaccount:${subject.namespace ?? ''}:${subject.name}` : subject.name;
}

/**
 * The CF role a RoleBinding is, if it is one: a binding of an org or space ClusterRole to one user or
 * service account, with a role GUID, and not a propagated copy (copies are the reconcilers' business).
 */
export function cfRoleOfBinding(binding: StoredObject<'RoleBinding'>): CfRoleRecord | undefined {
  const guid = binding.metadata.labels?.[roleGuidLabel];
  const type = binding.roleRef.kind === 'ClusterRole' ? cfRoleOfClusterRole(binding.roleRef.name) : undefined;
  const [subject] = binding.subjects ?? [];
  if (guid === undefined || type === undefined || subject === undefined || subject.kind === 'Group') return undefined;
  if (binding.metadata.labels?.[propagatedFromLabel] !== undefined) return undefined;
  if (cfRoles[type].level === 'root') return undefined;
  return {
    guid,
    type: type as AssignableRoleType,
    userGuid: userNameOfSubject(subject),
    targetGuid: binding.metadata.namespace ?? '',
    binding,
  };
}

export const isOrganizationRole = (type: AssignableRoleType): boolean => cfRoles[type].level === 'organization';
