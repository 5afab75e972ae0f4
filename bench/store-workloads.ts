import { performance } from 'node:perf_hooks';
import { isStoreError } from '../src/store/errors.ts';
import type { NewObject } from '../src/store/objects.ts';
import type { StoreSession } from '../src/store/port.ts';
import type { Sample } from './rounds.ts';

/** The data set: `objects` CFApps spread evenly over `namespaces`, each in one of `groups` label groups. */
export type Shape = { namespaces: number; objects: number; groups: number };

const groupLabel = 'bench.cfapi/group';
export const namespaceName = (index: number) => `bench-ns-${index}`;
const appName = (index: number) => `bench-app-${index}`;
const namespaceOf = (shape: Shape, index: number) => namespaceName(index % shape.namespaces);

function app(shape: Shape, index: number): NewObject<'CFApp'> {
  return {
    kind: 'CFApp',
    metadata: { name: appName(index), namespace: namespaceOf(shape, index), labels: { [groupLabel]: `g${index % shape.groups}` } },
    spec: {
      displayName: appName(index),
      desiredState: 'STOPPED',
      lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs4' } },
    },
  };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight; returns each call's latency in ms. */
async function timed(count: number, concurrency: number, task: (index: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = new Array<number>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const start = performance.now();
      await task(index);
      latencies[index] = performance.now() - start;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

const perSecond = (name: string, count: number, ms: number): Sample => ({ name, value: (count / ms) * 1000, unit: '/s' });
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;
const latency = (name: string, values: number[], p: number): Sample => ({ name, value: percentile(values, p), unit: 'ms' });

export async function createAll(session: StoreSession, shape: Shape, concurrency: number): Promise<Sample[]> {
  for (let index = 0; index < shape.namespaces; index++)
    await session.create({ kind: 'Namespace', metadata: { name: namespaceName(index) } });
  const start = performance.now();
  const latencies = await timed(shape.objects, concurrency, (index) => session.create(app(shape, index)));
  const elapsed = performance.now() - start;
  return [
    perSecond(`creates (${shape.objects.toLocaleString('en')}, ${concurrency} in flight)`, shape.objects, elapsed),
    latency('create latency p50', latencies, 0.5),
    latency('create latency p99', latencies, 0.99),
  ];
}

export type GetLoad = { count: number; concurrency: number; label: string };

export async function gets(session: StoreSession, shape: Shape, { count, concurrency, label }: GetLoad): Promise<Sample[]> {
  const start = performance.now();
  const latencies = await timed(count, concurrency, (index) => {
    const target = (index * 7919) % shape.objects;
    return session.get({ kind: 'CFApp', namespace: namespaceOf(shape, target), name: appName(target) });
  });
  const elapsed = performance.now() - start;
  return [
    perSecond(`gets ${label}`, count, elapsed),
    latency(`get latency ${label} p50`, latencies, 0.5),
    latency(`get latency ${label} p99`, latencies, 0.99),
  ];
}

export async function filteredLists(session: StoreSession, shape: Shape, count: number): Promise<Sample[]> {
  const expected = shape.objects / shape.groups;
  const latencies = await timed(count, 1, async (index) => {
    const list = await session.list('CFApp', {
      labelSelector: [{ key: groupLabel, operator: 'equals', value: `g${index % shape.groups}` }],
    });
    if (list.items.length !== expected) throw new Error(`a filtered list returned ${list.items.length} objects, expected ${expected}`);
  });
  const name = `label-filtered list, all namespaces (${expected} of ${shape.objects.toLocaleString('en')})`;
  return [latency(`${name} p50`, latencies, 0.5), latency(`${name} p95`, latencies, 0.95)];
}

/** Writers race to update one object: each reads, changes, writes, and starts over on a Conflict. */
export async function conflictingUpdates(session: StoreSession, shape: Shape, writers: number, durationMs: number): Promise<Sample[]> {
  const ref = { kind: 'CFApp' as const, namespace: namespaceOf(shape, 0), name: appName(0) };
  let succeeded = 0;
  let conflicts = 0;
  const deadline = performance.now() + durationMs;
  const writer = async (id: number) => {
    while (performance.now() < deadline) {
      const current = await session.get(ref);
      try {
        await session.update({ ...current, metadata: { ...current.metadata, annotations: { writer: String(id), n: String(succeeded) } } });
        succeeded++;
      } catch (error) {
        if (!isStoreError(error, 'Conflict')) throw error;
        conflicts++;
      }
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, id) => writer(id)));
  return [
    perSecond(`conflicting updates of one object (${writers} writers)`, succeeded, durationMs),
    perSecond('conflicts answered', conflicts, durationMs),
  ];
}
