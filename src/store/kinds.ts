/**
 * Every kind the store holds, with what the Kubernetes API needs to address it. The embedded backend
 * uses the same descriptors, so both backends agree on plurals, scopes and which kinds have a status
 * subresource (and therefore a `generation` that only spec changes bump).
 */
export type KindDescriptor = {
  readonly kind: string;
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** Status is written only through the status subresource; spec changes bump `generation`. */
  readonly statusSubresource: boolean;
};

const korifiGroup = 'korifi.cloudfoundry.org';
const korifi = (kind: string, plural: string): KindDescriptor => ({
  kind,
  group: korifiGroup,
  version: 'v1alpha1',
  plural,
  namespaced: true,
  statusSubresource: true,
});
const rbac = (kind: string, plural: string, namespaced: boolean): KindDescriptor => ({
  kind,
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  namespaced,
  statusSubresource: false,
});

export const kinds = {
  CFOrg: korifi('CFOrg', 'cforgs'),
  CFSpace: korifi('CFSpace', 'cfspaces'),
  CFApp: korifi('CFApp', 'cfapps'),
  CFPackage: korifi('CFPackage', 'cfpackages'),
  CFBuild: korifi('CFBuild', 'cfbuilds'),
  CFProcess: korifi('CFProcess', 'cfprocesses'),
  CFRoute: korifi('CFRoute', 'cfroutes'),
  CFDomain: korifi('CFDomain', 'cfdomains'),
  CFServiceInstance: korifi('CFServiceInstance', 'cfserviceinstances'),
  CFServiceBinding: korifi('CFServiceBinding', 'cfservicebindings'),
  CFTask: korifi('CFTask', 'cftasks'),
  BuilderInfo: korifi('BuilderInfo', 'builderinfos'),
  Namespace: { kind: 'Namespace', group: '', version: 'v1', plural: 'namespaces', namespaced: false, statusSubresource: true },
  Secret: { kind: 'Secret', group: '', version: 'v1', plural: 'secrets', namespaced: true, statusSubresource: false },
  Role: rbac('Role', 'roles', true),
  ClusterRole: rbac('ClusterRole', 'clusterroles', false),
  RoleBinding: rbac('RoleBinding', 'rolebindings', true),
  ClusterRoleBinding: rbac('ClusterRoleBinding', 'clusterrolebindings', false),
  // Name claims that make display names unique per scope (as Korifi's webhooks do with Leases).
  Lease: { kind: 'Lease', group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true, statusSubresource: false },
} as const satisfies Record<string, KindDescriptor>;

export type KindName = keyof typeof kinds;

export const korifiKindNames = (Object.keys(kinds) as KindName[]).filter((name) => kinds[name].group === korifiGroup);

export function apiVersionOf(descriptor: KindDescriptor): string {
  return descriptor.group === '' ? descriptor.version : `${descriptor.group}/${descriptor.version}`;
}

/** Whether a write to this kind bumps `generation` (Kubernetes does so for custom resources and a few built-ins). */
export function tracksGeneration(descriptor: KindDescriptor): boolean {
  return descriptor.group === korifiGroup;
}
