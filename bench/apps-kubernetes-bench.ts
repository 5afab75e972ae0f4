import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startControlPlane } from '../scripts/control-plane/control-plane.ts';
import { newRoleBinding } from '../src/domain/roles/role-binding.ts';
import { clientCertHeader, latencyP50, seedApps } from './api-server.ts';
import { printSetup, storageOf } from './setup.ts';
import { kubernetesBenchConfig, serveInProcess } from './in-process-server.ts';

/**
 * `npm run bench:apps:kubernetes`: `GET /v3/apps?per_page=50` on the kubernetes backend (a local
 * control plane, the server in this process with its reconcilers on) with `--apps` apps (default
 * 10,000) in `--spaces` spaces (default 100), as the admin and as a space developer of 10 spaces:
 * p50 of one request at a time. Issue 10's target: ≤ 25 ms. Prints figures, asserts nothing.
 * Measured once the reconcilers are idle after seeding. `--read-cache both` (the default) measures the same seeded cluster twice, back to back: through the
 * seeding server (read cache on) and through a second one with `kubernetes.readCache` off (no
 * reconcilers); `on` or `off` measures one server only.
 */
const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '10000' },
    spaces: { type: 'string', default: '100' },
    'etcd-dir': { type: 'string', default: '/dev/shm' },
    'read-cache': { type: 'string', default: 'both' },
  },
});
if (!['both', 'on', 'off'].includes(values['read-cache'])) throw new Error('--read-cache must be both, on or off');
const appCount = Number(values.apps);
const spaceCount = Number(values.spaces);

async function main(): Promise<void> {
  const stateDir = await mkdtemp(join(values['etcd-dir'], 'cfapi-apps-bench-'));
  const dataDir = await mkdtemp(join(tmpdir(), 'cfapi-apps-bench-'));
  const plane = await startControlPlane({ stateDir, controllerManager: true });
  printSetup('Apps benchmark (kubernetes backend)', {
    data: `${appCount} apps in ${spaceCount} spaces, etcd data ${storageOf(stateDir)}`,
    server: 'in this process, reconcilers on, log level silent; requests from this process',
  });
  const config = kubernetesBenchConfig(dataDir, plane.kubeconfigFile);
  config.kubernetes.readCache = values['read-cache'] !== 'off';
  const { backend, running } = await serveInProcess(config);
  let other: Awaited<ReturnType<typeof serveInProcess>> | undefined;
  try {
    await backend.store.privileged().create(newRoleBinding('admin', 'bench-admin', config.rootNamespace));
    const admin = clientCertHeader(await plane.issueUser('bench-admin'));
    const developer = clientCertHeader(await plane.issueUser('bench-developer'));
    await seedApps(running.url, admin, { apps: appCount, spaces: spaceCount, developer: 'bench-developer', concurrency: 16 });
    const list = '/v3/apps?per_page=50';
    const measure = async (url: string, label: string): Promise<void> => {
      const figures: [string, string][] = [
        [`GET /v3/apps?per_page=50 p50, admin (all apps), ${label}`, `${(await latencyP50(url, admin, list, 50)).toFixed(1)} ms`],
        [`GET /v3/apps?per_page=50 p50, developer of 10 spaces, ${label}`, `${(await latencyP50(url, developer, list, 50)).toFixed(1)} ms`],
      ];
      for (const [name, value] of figures) process.stdout.write(`  ${name.padEnd(72)} ${value.padStart(10)}\n`);
    };
    const settledMs = await reconcilersSettled();
    process.stdout.write(`  reconcilers idle ${(settledMs / 1000).toFixed(0)} s after seeding\n`);
    await measure(running.url, `read cache ${config.kubernetes.readCache ? 'on' : 'off'}`);
    if (values['read-cache'] === 'both') {
      // The same cluster through a server without the read cache (and without reconcilers: reads only).
      const uncached = kubernetesBenchConfig(dataDir, plane.kubeconfigFile);
      uncached.kubernetes.readCache = false;
      uncached.reconcilers = false;
      other = await serveInProcess(uncached);
      await measure(other.running.url, 'read cache off');
    }
  } finally {
    await other?.running.stop();
    await other?.backend.close();
    await running.stop();
    await backend.close();
    await plane.stop();
    await rm(stateDir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * Waits until this process (its reconcilers, still working through the apps just created) uses under
 * 5% of a core over 2 s, at most 15 min: measured earlier, the lists would compete with that work.
 */
async function reconcilersSettled(): Promise<number> {
  const began = performance.now();
  for (;;) {
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const used = process.cpuUsage(before);
    if ((used.user + used.system) / 1000 < 0.05 * 2000 || performance.now() - began > 15 * 60_000) return performance.now() - began;
  }
}

await main();
