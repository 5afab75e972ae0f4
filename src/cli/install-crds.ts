import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { loadClusterRoleManifests } from '../domain/roles/cluster-role-manifests.ts';
import { installClusterRoles } from '../store/kubernetes/install-cluster-roles.ts';
import { installCrds } from '../store/kubernetes/install-crds.ts';

/**
 * `npm run crds:install -- [--kubeconfig <path>] [--context <name>]`: installs the Korifi CRDs of
 * `deploy/crds/` and the CF roles' ClusterRoles of `deploy/cf-roles/` into a cluster, for the kubernetes
 * backend. Without `--kubeconfig` it reads `KUBECONFIG` or `~/.kube/config`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, context: { type: 'string' } } });
  const kubeConfig = loadKubeConfig(values.kubeconfig, values.context);
  // Say where we write: without any kubeconfig, client-node silently falls back to http://localhost:8080.
  const server = kubeConfig.getCurrentCluster()?.server ?? '(no cluster)';
  process.stdout.write(`Installing CRDs and CF ClusterRoles into ${server} (context ${kubeConfig.getCurrentContext() || '(none)'})\n`);
  // Read (and checked) before anything is written, so a broken file does not leave half an install.
  const clusterRoles = await loadClusterRoleManifests();
  await installCrds(kubeConfig, { onApplied: (name) => process.stdout.write(`applied CRD ${name}\n`) });
  process.stdout.write('All CRDs are established.\n');
  await installClusterRoles(kubeConfig, clusterRoles, { onApplied: (name) => process.stdout.write(`applied ClusterRole ${name}\n`) });
  process.stdout.write(`All ${clusterRoles.length} CF ClusterRoles are applied.\n`);
}

function loadKubeConfig(path: string | undefined, context: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path === undefined) kubeConfig.loadFromDefault();
  else kubeConfig.loadFromFile(path);
  if (context !== undefined) {
    if (!kubeConfig.getContextObject(context)) throw new Error(`no context named ${context} in the kubeconfig`);
    kubeConfig.setCurrentContext(context);
  }
  return kubeConfig;
}

main().catch((error: unknown) => {
  process.stderr.write(`crds:install failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
