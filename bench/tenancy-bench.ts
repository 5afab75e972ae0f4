import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startControlPlane, type ControlPlane } from '../scripts/control-plane/control-plane.ts';
import { openLocalIdentity } from '../src/auth/embedded/local-identity.ts';
import { validateConfig } from '../src/config/load.ts';
import { newRoleBinding } from '../src/domain/roles/role-binding.ts';
import { readKubeconfigUser } from '../test/support/test-server.ts';
import { printSummaries, roundCount, summarize, type Sample } from './rounds.ts';
import { printSetup, storageOf } from './setup.ts';
import { kubernetesBenchConfig, serveInProcess } from './in-process-server.ts';

/**
 * `npm run bench:tenancy`: the tenancy endpoints over HTTP on each backend, as the server runs them
 * (reconcilers on): org and space creation (each waits until its namespace is made and it is Ready),
 * role grants, and the lists every cf command starts with, as the admin (sees everything) and as a user
 * with roles in a few orgs. Each round starts a new server on an empty store (embedded: a new data
 * directory; kubernetes: a new control plane). Prints the setup and each figure's median, min and max
 * over the rounds; asserts nothing.
 *
 * Flags: --backend embedded|kubernetes|both, --orgs (default 100), --rounds (or BENCH_ROUNDS; default
 * 5), --embedded-dir (default the OS temporary directory), --etcd-dir (default /dev/shm).
 */
const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    orgs: { type: 'string', default: '100' },
    rounds: { type: 'string' },
    'embedded-dir': { type: 'string', default: tmpdir() },
    'etcd-dir': { type: 'string', default: '/dev/shm' },
  },
});
const orgCount = Number(values.orgs);
const rounds = roundCount(values.rounds);
const embeddedDir = values['embedded-dir'];
const etcdDir = values['etcd-dir'];

type Caller = { Authorization: string };
type Target = { url: string; admin: Caller; newUser: (name: string) => Promise<Caller>; stop: () => Promise<void> };

const clientCert = (pair: { certificatePem: string; privateKeyPem: string }): Caller => ({
  Authorization: `ClientCert ${Buffer.from(pair.certificatePem + pair.privateKeyPem).toString('base64')}`,
});

async function embeddedTarget(): Promise<Target> {
  const dataDir = await mkdtemp(join(embeddedDir, 'cfapi-tenancy-bench-'));
  const config = validateConfig({ dataDir, listen: { host: '127.0.0.1', port: 0 }, logLevel: 'silent' });
  const { backend, running } = await serveInProcess(config);
  const identity = await openLocalIdentity(dataDir);
  const admin = await readKubeconfigUser(identity.kubeconfigPath, 'admin');
  return {
    url: running.url,
    admin: { Authorization: `Bearer ${admin.token}` },
    newUser: async (name) => {
      await identity.addUser(name);
      return { Authorization: `Bearer ${(await readKubeconfigUser(identity.kubeconfigPath, name)).token}` };
    },
    stop: async () => {
      await running.stop();
      await backend.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function kubernetesTarget(): Promise<Target> {
  const stateDir = await mkdtemp(join(etcdDir, 'cfapi-tenancy-bench-'));
  const plane: ControlPlane = await startControlPlane({ stateDir, controllerManager: false });
  const dataDir = await mkdtemp(join(tmpdir(), 'cfapi-tenancy-bench-'));
  const config = kubernetesBenchConfig(dataDir, plane.kubeconfigFile);
  const { backend, running } = await serveInProcess(config);
  const adminPair = await plane.issueUser('bench-admin');
  await backend.store.privileged().create(newRoleBinding('admin', 'bench-admin', config.rootNamespace));
  return {
    url: running.url,
    admin: clientCert(adminPair),
    newUser: async (name) => clientCert(await plane.issueUser(name)),
    stop: async () => {
      await running.stop();
      await backend.close();
      await plane.stop();
      await rm(stateDir, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

type Call = { as: Caller; method: string; path: string; body?: unknown };

async function call(target: Target, { as, method, path, body }: Call): Promise<Record<string, unknown>> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { ...as, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Runs `count` calls one after another; answers calls per second and the p50 and p99 latency in ms. */
async function timed(name: string, count: number, work: (index: number) => Promise<unknown>): Promise<Sample[]> {
  const latencies: number[] = [];
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const begin = performance.now();
    await work(index);
    latencies.push(performance.now() - begin);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (quantile: number) => latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))]!;
  return [
    { name: `${name}: calls`, value: count / seconds, unit: '/s' },
    { name: `${name}: p50`, value: at(0.5), unit: 'ms' },
    { name: `${name}: p99`, value: at(0.99), unit: 'ms' },
  ];
}

async function measure(target: Target): Promise<Sample[]> {
  const figures: Sample[] = [];
  const orgs: string[] = [];
  const spaces: string[] = [];
  const org = (index: number) =>
    call(target, { as: target.admin, method: 'POST', path: '/v3/organizations', body: { name: `org-${index}` } });
  figures.push(
    ...(await timed(`create org (waits for Ready), ${orgCount}`, orgCount, async (index) =>
      orgs.push((await org(index))['guid'] as string),
    )),
  );
  const space = (index: number) =>
    call(target, {
      as: target.admin,
      method: 'POST',
      path: '/v3/spaces',
      body: { name: `space-${index}`, relationships: { organization: { data: { guid: orgs[index % orgCount] } } } },
    });
  figures.push(
    ...(await timed(`create space (waits for Ready), ${orgCount * 2}`, orgCount * 2, async (index) =>
      spaces.push((await space(index))['guid'] as string),
    )),
  );
  const user = await target.newUser('bench-alice');
  const grant = (type: string, target_: Record<string, unknown>) =>
    call(target, {
      as: target.admin,
      method: 'POST',
      path: '/v3/roles',
      body: { type, relationships: { user: { data: { username: 'bench-alice' } }, ...target_ } },
    });
  figures.push(
    ...(await timed('grant org_user + space_developer, 10 orgs', 10, async (index) => {
      await grant('organization_user', { organization: { data: { guid: orgs[index] } } });
      await grant('space_developer', { space: { data: { guid: spaces[index] } } });
    })),
  );
  const lists: [string, Caller, string][] = [
    ['GET /v3/organizations?order_by=name (admin, first page)', target.admin, '/v3/organizations?order_by=name'],
    ['GET /v3/spaces?organization_guids=… (admin)', target.admin, `/v3/spaces?order_by=name&organization_guids=${orgs[0]}`],
    ['GET /v3/roles (admin, first page)', target.admin, '/v3/roles'],
    ['GET /v3/organizations (user with roles in 10 orgs)', user, '/v3/organizations?order_by=name'],
    ['GET /v3/spaces (user with roles in 10 spaces)', user, '/v3/spaces?order_by=name'],
    ['GET /v3/organizations/{guid} (user)', user, `/v3/organizations/${orgs[0]}`],
  ];
  for (const [name, as, path] of lists) {
    await timed(name, 10, () => call(target, { as, method: 'GET', path })); // warm-up
    figures.push(...(await timed(name, 200, () => call(target, { as, method: 'GET', path }))));
  }
  return figures;
}

async function main(): Promise<void> {
  const backends = values.backend === 'both' ? ['embedded', 'kubernetes'] : [values.backend ?? 'embedded'];
  printSetup(`Tenancy benchmark: ${orgCount} orgs with 2 spaces each, requests one after another, median of ${rounds} rounds`, {
    embedded: `the server in this process, data directory under ${storageOf(embeddedDir)}, durability process-crash, reconcilers on`,
    kubernetes: `the server in this process, kube-apiserver and etcd on loopback, etcd's data under ${storageOf(etcdDir)}, reconcilers on`,
    rounds: `${rounds}, each a new server on an empty store (embedded: a new data directory; kubernetes: a new control plane)`,
  });
  for (const backend of backends) {
    process.stdout.write(`\n${backend}\n`);
    const samples: Sample[][] = [];
    for (let round = 0; round < rounds; round++) {
      const target = backend === 'kubernetes' ? await kubernetesTarget() : await embeddedTarget();
      try {
        samples.push(await measure(target));
      } finally {
        await target.stop();
      }
    }
    printSummaries(summarize(samples));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
