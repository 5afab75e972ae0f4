import { parseArgs } from 'node:util';
import { loadClusterRoleManifests } from '../domain/roles/cluster-role-manifests.ts';
import { installTarget } from '../store/kubernetes/install-target.ts';

/**
 * `npm run crds:install -- [--kubeconfig <path>] [--context <name>]`: installs the Korifi CRDs of
 * `deploy/helm/cf-k8s-api/files/crds/` and the CF roles' ClusterRoles of `deploy/helm/cf-k8s-api/files/cf-roles/` into a cluster, for the kubernetes
 * backend. Without `--kubeconfig` it reads `KUBECONFIG` or `~/.kube/config`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, context: { type: 'string' } } });
  const cluster = installTarget({ kubeconfigFile: values.kubeconfig, context: values.context });
  process.stdout.write(`Installing CRDs and CF ClusterRoles into ${cluster.description}\n`);
  // Read (and checked) before anything is written, so a broken file does not leave half an install.
  const clusterRoles = await loadClusterRoleManifests();
  await cluster.installCrds({ onApplied: (name) => process.stdout.write(`applied CRD ${name}\n`) });
  process.stdout.write('All CRDs are established.\n');
  await cluster.installClusterRoles(clusterRoles, { onApplied: (name) => process.stdout.write(`applied ClusterRole ${name}\n`) });
  process.stdout.write(`All ${clusterRoles.length} CF ClusterRoles are applied.\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`crds:install failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
