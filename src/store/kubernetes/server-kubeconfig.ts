import { KubeConfig } from '@kubernetes/client-node';

export type KubeconfigSource = { kubeconfigFile?: string | undefined; context?: string | undefined };

/**
 * The server's own (privileged) Kubernetes credentials: the given kubeconfig file, else the pod's
 * service account when running in a cluster, else `KUBECONFIG` / `~/.kube/config`.
 */
export function loadServerKubeConfig(source: KubeconfigSource = {}): KubeConfig {
  const config = new KubeConfig();
  if (source.kubeconfigFile) config.loadFromFile(source.kubeconfigFile);
  else if (process.env['KUBERNETES_SERVICE_HOST'] && !process.env['KUBECONFIG']) config.loadFromCluster();
  else config.loadFromDefault();
  if (source.context) {
    if (!config.getContextObject(source.context)) throw new Error(`the kubeconfig has no context "${source.context}"`);
    config.setCurrentContext(source.context);
  }
  if (!config.getCurrentCluster()) throw new Error('the kubeconfig names no cluster for its current context');
  return config;
}
