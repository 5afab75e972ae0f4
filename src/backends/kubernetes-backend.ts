import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../logger.ts';
import { withKorifiLabels } from '../store/korifi-labels/labelled-store.ts';
import { checkCluster } from '../store/kubernetes/cluster-check.ts';
import { checkServerPermissions } from '../store/kubernetes/permission-check.ts';
import { KubernetesAuthenticator } from '../store/kubernetes/kubernetes-authenticator.ts';
import { KubernetesStore } from '../store/kubernetes/kubernetes-store.ts';
import { loadServerKubeConfig } from '../store/kubernetes/server-kubeconfig.ts';
import { PodLogSource } from '../store/kubernetes/pod-log-source.ts';
import type { Store } from '../store/port.ts';
import { withReadCache } from '../store/read-cache/read-cache-store.ts';
import type { Backend } from './open-backend.ts';

/**
 * The kubernetes backend: the cluster of the server's own kubeconfig, users authenticated by its
 * apiserver; read-only lists answered from watch caches unless `kubernetes.readCache` is off.
 */
export async function openKubernetesBackend(config: Config, logger: Logger): Promise<Backend> {
  let kubeConfig;
  try {
    kubeConfig = loadServerKubeConfig({ kubeconfigFile: config.kubernetes.kubeconfig, context: config.kubernetes.context });
    await checkCluster(kubeConfig);
    await checkServerPermissions(kubeConfig, {
      rootNamespace: config.rootNamespace,
      reconcilers: config.reconcilers === true,
      registrySecretNames: config.containerRegistry.packageRegistrySecretNames,
    });
  } catch (error) {
    throw new ConfigError(`kubernetes backend: ${(error as Error).message}`, { cause: error });
  }
  const kubernetesStore = new KubernetesStore(kubeConfig);
  const store: Store = config.kubernetes.readCache ? withReadCache(kubernetesStore, { logger }) : kubernetesStore;
  const authenticator = new KubernetesAuthenticator(kubeConfig);
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  const logSource = new PodLogSource(kubeConfig);
  return {
    store: withKorifiLabels(store),
    authenticator,
    logSource,
    describe: () =>
      `Kubernetes cluster ${server} (context ${kubeConfig.getCurrentContext()})\n` +
      `Log in with a kubeconfig user of that cluster: cf api ${config.externalUrl} && cf auth <user>\n`,
    close: async () => {
      authenticator.close();
      logSource.close();
      await store.close();
    },
  };
}
