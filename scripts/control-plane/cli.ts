import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { removeState, startControlPlane } from './control-plane.ts';

/**
 * `npm run control-plane`: a local Kubernetes control plane for development, in the foreground
 * until Ctrl-C. State (etcd data, PKI) is kept between runs unless `--fresh`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'state-dir': { type: 'string', default: join(homedir(), '.cache', 'cfapi-control-plane', 'local') },
      'api-port': { type: 'string', default: '6443' },
      fresh: { type: 'boolean', default: false },
    },
  });
  const stateDir = values['state-dir'];
  const apiserver = Number(values['api-port']);
  if (values.fresh) await removeState(stateDir);
  process.stderr.write(`Starting etcd, kube-apiserver and kube-controller-manager (state in ${stateDir})…\n`);
  const controlPlane = await startControlPlane({
    stateDir,
    ports: { apiserver, etcdClient: apiserver + 10_000, etcdPeer: apiserver + 10_001, controllerManager: apiserver + 10_002 },
  });
  process.stdout.write(
    [
      `Control plane ready at ${controlPlane.server}; CRDs and CF ClusterRoles installed.`,
      `Kubeconfig (admin, in system:masters): ${controlPlane.kubeconfigFile}`,
      `Token users (contexts of the same kubeconfig): ${controlPlane.tokenUsers.map((user) => user.name).join(', ')}`,
      '',
      `Serve the CF API on it: npm start -- --backend kubernetes --kubeconfig ${controlPlane.kubeconfigFile}`,
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  const stop = () => {
    process.stderr.write('Stopping…\n');
    void controlPlane.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
