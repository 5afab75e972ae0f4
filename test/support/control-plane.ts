import { mkdtemp } from 'node:fs/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, removeState, type ControlPlane } from '../../scripts/control-plane/control-plane.ts';

let shared: Promise<ControlPlane> | undefined;

/**
 * One real control plane (etcd, kube-apiserver with RBAC, kube-controller-manager) for the whole
 * test run, started by the first suite that needs it, with our CRDs and CF ClusterRoles installed (as
 * `npm run crds:install` installs them). A start-up failure fails those suites; it never skips them.
 */
export function sharedControlPlane(): Promise<ControlPlane> {
  shared ??= (async () => {
    const stateDir = await mkdtemp('/dev/shm/cfapi-control-plane-');
    const started = Date.now();
    const controlPlane = await startControlPlane({ stateDir });
    // Printed so each run shows the start-up time (the warm target is under 30 s).
    process.stderr.write(`  [control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${controlPlane.server}]\n`);
    return controlPlane;
  })();
  return shared;
}

export function adminKubeConfig(controlPlane: ControlPlane): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(controlPlane.kubeconfigFile);
  return config;
}

/** Stops the shared control plane if this run started one (a mocha root hook calls it). */
export async function stopSharedControlPlane(): Promise<void> {
  if (!shared) return;
  const controlPlane = await shared.catch(() => undefined);
  shared = undefined;
  if (!controlPlane) return;
  await controlPlane.stop();
  await removeState(controlPlane.stateDir);
}
