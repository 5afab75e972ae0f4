import type { KubeConfig } from '@kubernetes/client-node';
import { KubernetesHttpError, RestClient } from './rest-client.ts';

/**
 * Fails with a message a person can act on when the cluster cannot serve us: unreachable, our
 * credentials refused, or the Korifi CRDs not installed.
 */
export async function checkCluster(config: KubeConfig): Promise<void> {
  const server = config.getCurrentCluster()?.server ?? '(no server)';
  const client = new RestClient(config);
  try {
    await client.request({ method: 'GET', path: '/apis/korifi.cloudfoundry.org/v1alpha1' });
  } catch (error) {
    if (error instanceof KubernetesHttpError && error.statusCode === 404) {
      throw new Error(`The Korifi CRDs are not installed on ${server}; install them with: npm run crds:install -- --kubeconfig <file>`, {
        cause: error,
      });
    }
    if (error instanceof KubernetesHttpError) {
      throw new Error(`The Kubernetes API at ${server} refused the server's credentials (${error.statusCode}: ${error.message})`, {
        cause: error,
      });
    }
    throw new Error(`Cannot reach the Kubernetes API at ${server}: ${(error as Error).message}`, { cause: error });
  } finally {
    client.close();
  }
}
