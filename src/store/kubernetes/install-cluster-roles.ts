import { KubernetesObjectApi, PatchStrategy, loadYaml, type KubeConfig, type V1ClusterRole } from '@kubernetes/client-node';
import type { NewObject } from '../objects.ts';
import { fieldManager, messageOf } from './install-crds.ts';

export type InstallClusterRolesOptions = {
  /** Called after each ClusterRole was applied. */
  onApplied?: (name: string) => void;
};

/**
 * Server-side applies each ClusterRole (field manager `cfapi`, forced, so it takes over the rules an
 * earlier install or Korifi's Helm chart owned). RBAC objects take effect without a wait.
 */
export async function installClusterRoles(
  kubeConfig: KubeConfig,
  clusterRoles: readonly NewObject<'ClusterRole'>[],
  options: InstallClusterRolesOptions = {},
): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const clusterRole of clusterRoles) {
    const { name } = clusterRole.metadata;
    // client-node serializes built-in kinds through its generated models, which its YAML loader builds.
    const model = loadYaml<V1ClusterRole>(JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', ...clusterRole }));
    await objects.patch(model, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply).catch((error: unknown) => {
      throw new Error(`applying ClusterRole ${name} failed: ${messageOf(error)}`, { cause: error });
    });
    options.onApplied?.(name);
  }
}
