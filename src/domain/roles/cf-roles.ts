/**
 * The CF roles and the ClusterRoles that carry them, with Korifi's names so that bindings made by
 * Korifi (or by this server) mean the same on either. `propagate` roles bound in a namespace are
 * copied by the tenancy reconcilers into the namespaces of the orgs and spaces below it.
 */
export type CfRoleLevel = 'root' | 'organization' | 'space';

export type CfRoleDefinition = {
  readonly clusterRole: string;
  readonly level: CfRoleLevel;
  readonly propagate: boolean;
};

export const cfRoles = {
  admin: { clusterRole: 'korifi-controllers-admin', level: 'root', propagate: true },
  admin_read_only: { clusterRole: 'korifi-controllers-admin-read-only', level: 'root', propagate: true },
  global_auditor: { clusterRole: 'korifi-controllers-global-auditor', level: 'root', propagate: true },
  cf_user: { clusterRole: 'korifi-controllers-root-namespace-user', level: 'root', propagate: false },
  organization_manager: { clusterRole: 'korifi-controllers-organization-manager', level: 'organization', propagate: true },
  organization_user: { clusterRole: 'korifi-controllers-organization-user', level: 'organization', propagate: false },
  organization_auditor: { clusterRole: 'korifi-controllers-organization-auditor', level: 'organization', propagate: false },
  organization_billing_manager: {
    clusterRole: 'korifi-controllers-organization-billing-manager',
    level: 'organization',
    propagate: false,
  },
  space_manager: { clusterRole: 'korifi-controllers-space-manager', level: 'space', propagate: false },
  space_developer: { clusterRole: 'korifi-controllers-space-developer', level: 'space', propagate: false },
  space_auditor: { clusterRole: 'korifi-controllers-space-auditor', level: 'space', propagate: false },
  space_supporter: { clusterRole: 'korifi-controllers-space-supporter', level: 'space', propagate: false },
} as const satisfies Record<string, CfRoleDefinition>;

export type CfRoleName = keyof typeof cfRoles;

/** The CF role a ClusterRole carries, if it carries one. */
export function cfRoleOfClusterRole(clusterRole: string): CfRoleName | undefined {
  return (Object.keys(cfRoles) as CfRoleName[]).find((name) => cfRoles[name].clusterRole === clusterRole);
}
