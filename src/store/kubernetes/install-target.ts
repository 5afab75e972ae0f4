import { KubeConfig } from '@kubernetes/client-node';
import type { NewObject } from '../objects.ts';
import { installClusterRoles, type InstallClusterRolesOptions } from './install-cluster-roles.ts';
import { installCrds, type InstallCrdsOptions } from './install-crds.ts';
import type { KubeconfigSource } from './server-kubeconfig.ts';

/** A cluster to install our CRDs and the CF roles' ClusterRoles into (what `npm run crds:install` does). */
export type InstallTarget = {
  /** The apiserver and context, for saying where the install writes. */
  description: string;
  installCrds(options?: InstallCrdsOptions): Promise<void>;
  installClusterRoles(clusterRoles: readonly NewObject<'ClusterRole'>[], options?: InstallClusterRolesOptions): Promise<void>;
};

/** The cluster of a kubeconfig file, else of `KUBECONFIG` or `~/.kube/config`, at the given context or the current one. */
export function installTarget(source: KubeconfigSource): InstallTarget {
  const kubeConfig = new KubeConfig();
  if (source.kubeconfigFile === undefined) kubeConfig.loadFromDefault();
  else kubeConfig.loadFromFile(source.kubeconfigFile);
  if (source.context !== undefined) {
    if (!kubeConfig.getContextObject(source.context)) throw new Error(`no context named ${source.context} in the kubeconfig`);
    kubeConfig.setCurrentContext(source.context);
  }
  // Say where we write: without any kubeconfig, client-node silently falls back to http://localhost:8080.
  const server = kubeConfig.getCurrentCluster()?.server ?? '(no cluster)';
  return {
    description: `${server} (context ${kubeConfig.getCurrentContext() || '(none)'})`,
    installCrds: (options) => installCrds(kubeConfig, options),
    installClusterRoles: (clusterRoles, options) => installClusterRoles(kubeConfig, clusterRoles, options),
  };
}
