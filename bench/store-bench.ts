import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { startControlPlane } from '../scripts/control-plane/control-plane.ts';
import { openEmbeddedStore, type Durability } from '../src/store/embedded/embedded-store.ts';
import { withKorifiLabels } from '../src/store/korifi-labels/labelled-store.ts';
import { KubernetesStore } from '../src/store/kubernetes/kubernetes-store.ts';
import type { Store, StoreUser } from '../src/store/port.ts';
import { printSummaries, roundCount, summarize, type Sample } from './rounds.ts';
import { printSetup, storageOf } from './setup.ts';
import { conflictingUpdates, createAll, filteredLists, gets, type Shape } from './store-workloads.ts';

/**
 * `npm run bench:store`: creates, gets, label-filtered lists and conflicting updates per second on
 * the embedded store (a SQLite file, both durability modes) and on a real kube-apiserver, as the
 * server uses them (Korifi's labels set on every write), with 10,000 objects in 100 namespaces. Each
 * round starts from an empty store (a new file; a new control plane); it prints the setup (where the
 * SQLite file and etcd's data live, tmpfs or disk) and each figure's median, min and max over the
 * rounds. Asserts nothing. Targets (embedded, this 2-core machine): get ≥ 20,000/s, a filtered list
 * of 50 of 10,000 ≤ 5 ms p50, durable creates ≥ 2,000/s.
 *
 * Flags: --backend embedded|kubernetes|both, --durability process-crash|power-loss|both, --objects,
 * --namespaces, --rounds (or BENCH_ROUNDS; default 5), --embedded-dir (default the OS temporary
 * directory, as a data directory on disk), --etcd-dir (default /dev/shm, as the tests run etcd).
 */
const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    objects: { type: 'string', default: '10000' },
    namespaces: { type: 'string', default: '100' },
    durability: { type: 'string', default: 'both' },
    rounds: { type: 'string' },
    'embedded-dir': { type: 'string', default: tmpdir() },
    'etcd-dir': { type: 'string', default: '/dev/shm' },
  },
});
const shape: Shape = { objects: Number(values.objects), namespaces: Number(values.namespaces), groups: Number(values.objects) / 50 };
const rounds = roundCount(values.rounds);
const embeddedDir = values['embedded-dir'];
const etcdDir = values['etcd-dir'];

type Run = { store: Store; user: StoreUser; concurrency: number; cleanup: () => Promise<void> };

/** A user allowed to read CFApps everywhere through a ClusterRoleBinding, so gets pay for RBAC. */
async function readerUser(store: Store, credentials: StoreUser['credentials'], name: string): Promise<StoreUser> {
  const session = store.privileged();
  const rbac = 'rbac.authorization.k8s.io';
  await session.create({
    kind: 'ClusterRole',
    metadata: { name: 'bench-reader' },
    rules: [{ apiGroups: ['korifi.cloudfoundry.org'], resources: ['cfapps'], verbs: ['get', 'list'] }],
  });
  await session.create({
    kind: 'ClusterRoleBinding',
    metadata: { name: 'bench-reader' },
    subjects: [{ kind: 'User', name, apiGroup: rbac }],
    roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'bench-reader' },
  });
  return { name, groups: [], credentials };
}

async function embeddedRun(durability: Durability): Promise<Run> {
  const directory = await mkdtemp(join(embeddedDir, 'cfapi-store-bench-'));
  // As the server uses it: with Korifi's labels set on every write.
  const store = withKorifiLabels(await openEmbeddedStore({ file: join(directory, 'store.sqlite'), durability }));
  const user = await readerUser(store, { scheme: 'bearer', token: 'unused' }, 'bench-user');
  const cleanup = async () => {
    await store.close();
    await rm(directory, { recursive: true, force: true });
  };
  return { store, user, concurrency: 1, cleanup };
}

async function kubernetesRun(): Promise<Run> {
  const stateDir = await mkdtemp(join(etcdDir, 'cfapi-store-bench-'));
  const controlPlane = await startControlPlane({ stateDir, controllerManager: false });
  const config = new KubeConfig();
  config.loadFromFile(controlPlane.kubeconfigFile);
  const store = withKorifiLabels(new KubernetesStore(config));
  const pair = await controlPlane.issueUser('bench-user');
  const user = await readerUser(store, { scheme: 'clientCert', ...pair }, 'bench-user');
  return {
    store,
    user,
    concurrency: 16,
    cleanup: async () => {
      await store.close();
      await controlPlane.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

async function measure(backend: string, run: Run): Promise<Sample[]> {
  const session = run.store.privileged();
  const figures = [...(await createAll(session, shape, run.concurrency))];
  const getCount = backend === 'embedded' ? 50_000 : 5_000;
  figures.push(...(await gets(session, shape, { count: getCount, concurrency: run.concurrency, label: 'as the server' })));
  figures.push(
    ...(await gets(run.store.as(run.user), shape, { count: getCount, concurrency: run.concurrency, label: 'as a user (RBAC)' })),
  );
  await filteredLists(session, shape, 20); // warm-up
  figures.push(...(await filteredLists(session, shape, 200)));
  figures.push(...(await conflictingUpdates(session, shape, 4, 3000)));
  return figures;
}

async function main(): Promise<void> {
  const durabilities = values.durability === 'both' ? (['process-crash', 'power-loss'] as const) : [values.durability as Durability];
  const runs = [
    ...(values.backend === 'kubernetes' ? [] : durabilities.map((durability) => ({ backend: 'embedded', durability }))),
    ...(values.backend === 'embedded' ? [] : [{ backend: 'kubernetes', durability: undefined }]),
  ];
  printSetup(
    `Store benchmark: ${shape.objects.toLocaleString('en')} CFApps in ${shape.namespaces} namespaces, median of ${rounds} rounds`,
    {
      'embedded store': `a SQLite file under ${storageOf(embeddedDir)}, one caller`,
      kubernetes: `kube-apiserver and etcd on loopback, etcd's data under ${storageOf(etcdDir)}, 16 requests in flight`,
      rounds: `${rounds}, each on an empty store (a new SQLite file; a new control plane)`,
    },
  );
  for (const { backend, durability } of runs) {
    const title =
      durability === undefined
        ? 'kubernetes (kube-apiserver + etcd on loopback, 16 requests in flight)'
        : `embedded (SQLite, durability ${durability}, one caller)`;
    process.stdout.write(`\n${title}\n`);
    const samples: Sample[][] = [];
    for (let round = 0; round < rounds; round++) {
      const run = durability === undefined ? await kubernetesRun() : await embeddedRun(durability);
      try {
        samples.push(await measure(backend, run));
      } finally {
        await run.cleanup();
      }
    }
    printSummaries(summarize(samples));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
