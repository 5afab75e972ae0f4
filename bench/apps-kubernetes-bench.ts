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
 */
const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '10000' },
    spaces: { type: 'string', default: '100' },
    'etcd-dir': { type: 'string', default: '/dev/shm' },
  },
});
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
  const { backend, running } = await serveInProcess(config);
  try {
    await backend.store.privileged().create(newRoleBinding('admin', 'bench-admin', config.rootNamespace));
    const admin = clientCertHeader(await plane.issueUser('bench-admin'));
    const developer = clientCertHeader(await plane.issueUser('bench-developer'));
    const url = running.url;
    await seedApps(url, admin, { apps: appCount, spaces: spaceCount, developer: 'bench-developer', concurrency: 16 });
    const list = '/v3/apps?per_page=50';
    const figures: [string, string][] = [
      ['GET /v3/apps?per_page=50 p50, admin (all apps)', `${(await latencyP50(url, admin, list, 50)).toFixed(1)} ms`],
      ['GET /v3/apps?per_page=50 p50, developer of 10 spaces', `${(await latencyP50(url, developer, list, 50)).toFixed(1)} ms`],
    ];
    for (const [name, value] of figures) process.stdout.write(`  ${name.padEnd(56)} ${value.padStart(10)}\n`);
  } finally {
    await running.stop();
    await backend.close();
    await plane.stop();
    await rm(stateDir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
