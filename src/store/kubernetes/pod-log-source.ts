import type { KubeConfig } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import type { Credentials } from '../../auth/identity.ts';
import { gaugeEnvelope, type Envelope, type LogSource, type LogTarget, type LogWindow } from '../../log-cache/log-source.ts';
import { credentialKey } from '../credential-key.ts';
import { isStoreError } from '../errors.ts';
import { translateKubernetesError } from './error-translation.ts';
import { userConfig } from './kubernetes-store.ts';
import { KubernetesHttpError, readAll, RestClient } from './rest-client.ts';

const korifi = 'korifi.cloudfoundry.org';

type Pod = {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { containers?: { name: string }[]; initContainers?: { name: string }[] };
};
type PodMetrics = { containers?: { name: string; usage?: { cpu?: string; memory?: string } }[] };

/**
 * The kubernetes log source, as Korifi reads logs: the pods of the app's newest build (kpack's, label
 * `korifi.cloudfoundry.org/build-workload-name`) as STG lines and the pods of the app's current revision
 * (labels `app-guid` and `version`) as `APP/PROC/<TYPE>` lines, through the pods' `log` subresource
 * with timestamps; GAUGE envelopes from metrics.k8s.io (none where no metrics server answers). Every
 * call is made with the caller's own credentials, so the cluster's RBAC decides: a caller whose roles
 * may not list the space's pods gets no envelopes from them. A pod whose log cannot be read (gone,
 * not started yet) contributes none.
 */
export class PodLogSource implements LogSource {
  readonly #base: KubeConfig;
  readonly #clients = new LRUCache<string, RestClient>({ max: 100, dispose: (client) => client.close(60_000) });

  constructor(base: KubeConfig) {
    this.#base = base;
  }

  async envelopes(target: LogTarget, window: LogWindow): Promise<Envelope[]> {
    const read: Read = { client: this.#client(target.credentials), namespace: target.spaceGuid, target, window };
    try {
      const appPods = await pods(read, `${korifi}/app-guid=${target.appGuid},${korifi}/version=${target.revision}`);
      const logs: Promise<Envelope[]> = window.types.has('LOG') ? logEnvelopes(read, appPods) : Promise.resolve([]);
      const gauges: Promise<(Envelope | undefined)[]> = window.types.has('GAUGE')
        ? Promise.all(appPods.map((pod) => podGauge(read, pod)))
        : Promise.resolve([]);
      const [lines, usage] = await Promise.all([logs, gauges]);
      return [...lines, ...usage.filter((gauge) => gauge !== undefined)];
    } catch (error) {
      const translated = translateKubernetesError(error);
      if (isStoreError(translated, 'Forbidden')) return [];
      throw translated;
    }
  }

  close(): void {
    this.#clients.clear();
  }

  #client(credentials: Credentials): RestClient {
    const key = credentialKey(credentials);
    let client = this.#clients.get(key);
    if (client === undefined) this.#clients.set(key, (client = new RestClient(userConfig(this.#base, credentials))));
    return client;
  }
}

/** One read: the caller's client, the app's space and what is asked. */
type Read = { client: RestClient; namespace: string; target: LogTarget; window: LogWindow };

async function pods(read: Read, labelSelector: string): Promise<Pod[]> {
  const list = await read.client.request<{ items?: Pod[] }>({
    method: 'GET',
    path: `/api/v1/namespaces/${encodeURIComponent(read.namespace)}/pods`,
    query: { labelSelector },
  });
  return list.items ?? [];
}

/** The lines of the newest build's pods (every step, init containers included) and of the app's pods. */
async function logEnvelopes(read: Read, appPods: readonly Pod[]): Promise<Envelope[]> {
  const build = await read.target.latestBuildGuid();
  const buildPods = build === undefined ? [] : await pods(read, `${korifi}/build-workload-name=${build}`);
  const lines = await Promise.all([
    ...buildPods.map((pod) => podLines(read, pod, { sourceType: 'STG', instanceId: '0', init: true })),
    ...appPods.map((pod) => {
      const type = pod.metadata.labels?.[`${korifi}/process-type`];
      const sourceType = type === undefined ? 'APP' : `APP/PROC/${type.toUpperCase()}`;
      return podLines(read, pod, { sourceType, instanceId: instanceIndexOf(pod), init: false });
    }),
  ]);
  return lines.flat();
}

async function podLines(read: Read, pod: Pod, from: { sourceType: string; instanceId: string; init: boolean }): Promise<Envelope[]> {
  const { target } = read;
  const containers = [...(from.init ? (pod.spec?.initContainers ?? []) : []), ...(pod.spec?.containers ?? [])];
  const process = target.processes.find((candidate) => `APP/PROC/${candidate.type.toUpperCase()}` === from.sourceType);
  const tags = {
    source_type: from.sourceType,
    app_id: target.appGuid,
    app_name: target.appName,
    space_id: target.spaceGuid,
    ...(process ? { process_id: process.guid, process_type: process.type } : {}),
  };
  const envelopes: Envelope[] = [];
  for (const container of containers) {
    const parsed = (await containerLog(read, pod.metadata.name, container.name)).split('\n').map(timestampedLine);
    for (const line of parsed) {
      if (line === undefined) continue;
      envelopes.push({
        timestampNs: line.timestampNs,
        sourceId: target.appGuid,
        instanceId: from.instanceId,
        tags,
        log: { payload: Buffer.from(line.text).toString('base64'), type: 'OUT' },
      });
    }
  }
  return envelopes;
}

/**
 * One container's log with timestamps, from the window's start (the apiserver takes whole seconds)
 * and, when the newest are asked for up to now, only its last `limit` lines.
 */
async function containerLog(read: Read, pod: string, container: string): Promise<string> {
  const { window } = read;
  const query: Record<string, string> = { container, timestamps: 'true' };
  if (window.startNs > 0n)
    query['sinceTime'] = new Date(Number(window.startNs / 1_000_000_000n) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  if (window.descending && window.endNs > window.nowNs) query['tailLines'] = String(window.limit);
  const response = await read.client.stream({
    method: 'GET',
    path: `/api/v1/namespaces/${encodeURIComponent(read.namespace)}/pods/${encodeURIComponent(pod)}/log`,
    query,
  });
  const text = await readAll(response);
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return text;
  // Gone since it was listed, or a container not started yet (400): no lines from it.
  if (status === 404 || status === 400) return '';
  throw new KubernetesHttpError(status, parseStatus(text));
}

/** The pod's usage from metrics.k8s.io, summed over its containers; none without a metrics server. */
async function podGauge(read: Read, pod: Pod): Promise<Envelope | undefined> {
  const type = pod.metadata.labels?.[`${korifi}/process-type`];
  const process = read.target.processes.find((candidate) => candidate.type === type);
  if (process === undefined) return undefined;
  let metrics: PodMetrics;
  try {
    metrics = await read.client.request<PodMetrics>({
      method: 'GET',
      path: `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(read.namespace)}/pods/${encodeURIComponent(pod.metadata.name)}`,
    });
  } catch (error) {
    if (error instanceof KubernetesHttpError && [403, 404, 503].includes(error.statusCode)) return undefined;
    throw error;
  }
  let cores = 0;
  let memoryBytes = 0;
  for (const container of metrics.containers ?? []) {
    cores += quantity(container.usage?.cpu);
    memoryBytes += quantity(container.usage?.memory);
  }
  return gaugeEnvelope(read.target, {
    process,
    instanceId: instanceIndexOf(pod),
    timestampNs: read.window.nowNs,
    usage: { cpuPercent: cores * 100, memoryBytes, diskBytes: 0 },
  });
}

/** A StatefulSet pod's ordinal (its `apps.kubernetes.io/pod-index` label, else its name's last part). */
function instanceIndexOf(pod: Pod): string {
  const label = pod.metadata.labels?.['apps.kubernetes.io/pod-index'];
  if (label !== undefined) return label;
  const suffix = /-(\d+)$/.exec(pod.metadata.name)?.[1];
  return suffix ?? '0';
}

/** A line of a log read with `timestamps=true`: an RFC 3339 time with up to nanoseconds, a space, the text. */
export function timestampedLine(line: string): { timestampNs: bigint; text: string } | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) ?(.*)$/.exec(line);
  if (match === null) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
  return { timestampNs: BigInt(seconds) * 1_000_000n + fraction, text: match[4]! };
}

const suffixes: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A Kubernetes quantity (`250m`, `12345n`, `64Mi`, `1`) as a number; 0 for what it cannot read. */
export function quantity(text: string | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(n|u|m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text ?? '');
  if (match === null) return 0;
  return Number(match[1]) * suffixes[match[2] ?? '']!;
}

function parseStatus(text: string): { message?: string } | undefined {
  try {
    return JSON.parse(text) as { message?: string };
  } catch {
    return text.trim() === '' ? undefined : { message: text.trim() };
  }
}
