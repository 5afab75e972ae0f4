import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { installCrds } from '../store/kubernetes/install-crds.ts';

/**
 * `npm run crds:install -- [--kubeconfig <path>] [--context <name>]`: installs the Korifi CRDs of
 * `deploy/crds/` into a cluster, for the kubernetes backend. Without `--kubeconfig` it reads `KUBECONFIG`
 * or `~/.kube/config`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, context: { type: 'string' } } });
  const kubeConfig = loadKubeConfig(values.kubeconfig, values.context);
  // Say where we write: without any kubeconfig, client-node silently falls back to http://localhost:8080.
  const server = kubeConfig.getCurrentCluster()?.server ?? '(no cluster)';
  process.stdout.write(`Installing CRDs into ${server} (context ${kubeConfig.getCurrentContext() || '(none)'})\n`);
  await installCrds(kubeConfig, { onApplied: (name) => process.stdout.write(`applied ${name}\n`) });
  process.stdout.write('All CRDs are established.\n');
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
