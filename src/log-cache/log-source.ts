import type { Credentials } from '../auth/identity.ts';

/** The envelope types apps have here; log-cache's others (COUNTER, TIMER, EVENT) there are none of. */
export type EnvelopeType = 'LOG' | 'GAUGE';

/**
 * One loggregator v2 envelope, before it is presented as protojson: a line an app, its staging or one
 * of its tasks wrote (`log`), or one instance's usage (`gauge`).
 */
export type Envelope = {
  /** Nanoseconds since the Unix epoch. */
  timestampNs: bigint;
  /** The app's GUID. */
  sourceId: string;
  /** The instance index, a task's GUID, or '0' for a staging. */
  instanceId: string;
  tags: Readonly<Record<string, string>>;
} & (
  | { log: { payload: string; type: 'OUT' | 'ERR' }; gauge?: undefined }
  | { gauge: Readonly<Record<string, { unit: string; value: number }>>; log?: undefined }
);

/** The app whose envelopes are read, as the domain found it visible to the caller. */
export type LogTarget = {
  appGuid: string;
  appName: string;
  spaceGuid: string;
  /** The app's revision (`korifi.cloudfoundry.org/app-rev`): Korifi labels the pods of each revision with it. */
  revision: string;
  /** The processes the caller may read, with their quotas (GAUGE's `memory_quota`, `disk_quota`). */
  processes: readonly { guid: string; type: string; memoryMB: number; diskMB: number }[];
  /** The app's newest build, where its staging logs are (undefined: none, or the caller may not read builds). */
  latestBuildGuid(): Promise<string | undefined>;
  /** The caller's own credentials: a cluster adapter reads pods and metrics as them, so RBAC decides. */
  credentials: Credentials;
};

/** What to read: log-cache's query, already validated. */
export type LogWindow = {
  /** Inclusive. */
  startNs: bigint;
  /** Exclusive. */
  endNs: bigint;
  types: ReadonlySet<EnvelopeType>;
  limit: number;
  descending: boolean;
  /** The time of this read: what a gauge of usage measured now is stamped with. */
  nowNs: bigint;
};

/**
 * The log-source port: where an app's envelopes come from. Adapters return the envelopes of the
 * window they have (they may return more, or out of order: the caller filters, sorts and limits), and
 * never read anything of an app other than `target`. Adapters: the runtime's recent lines and
 * instance usage (runtime-log-source.ts) and the cluster's pod logs and metrics
 * (store/kubernetes/pod-log-source.ts).
 */
export interface LogSource {
  envelopes(target: LogTarget, window: LogWindow): Promise<Envelope[]>;
}

/** Several sources as one: their envelopes together (a cluster's pods and an in-process runtime's lines). */
export function combinedLogSources(sources: readonly LogSource[]): LogSource {
  if (sources.length === 1) return sources[0]!;
  return {
    envelopes: async (target, window) => (await Promise.all(sources.map((source) => source.envelopes(target, window)))).flat(),
  };
}

/** Nanoseconds since the epoch of a Date (millisecond precision). */
export const nanosecondsOf = (date: Date): bigint => BigInt(date.getTime()) * 1_000_000n;

/**
 * The envelopes of the window, as log-cache answers: `startNs` ≤ timestamp < `endNs`, of the asked types,
 * the oldest `limit` of them in ascending order, or the newest `limit` newest first when descending.
 */
export function selectEnvelopes(envelopes: readonly Envelope[], window: LogWindow): Envelope[] {
  const inWindow = envelopes.filter(
    (envelope) =>
      envelope.timestampNs >= window.startNs &&
      envelope.timestampNs < window.endNs &&
      window.types.has(envelope.log !== undefined ? 'LOG' : 'GAUGE'),
  );
  // Stable: envelopes with equal timestamps keep the order their source gave.
  inWindow.sort((a, b) => (a.timestampNs < b.timestampNs ? -1 : a.timestampNs > b.timestampNs ? 1 : 0));
  return window.descending ? inWindow.slice(-window.limit).reverse() : inWindow.slice(0, window.limit);
}

const mib = 1024 * 1024;

/**
 * One instance's usage as log-cache's container metrics (the tags and metric names Korifi's GAUGE
 * envelopes carry): `cpu` in percent, `memory`, `disk` and their quotas in bytes.
 */
export function gaugeEnvelope(
  target: LogTarget,
  measured: {
    process: LogTarget['processes'][number];
    instanceId: string;
    timestampNs: bigint;
    usage: { cpuPercent: number; memoryBytes: number; diskBytes: number };
  },
): Envelope {
  const { process, instanceId, timestampNs, usage } = measured;
  return {
    timestampNs,
    sourceId: target.appGuid,
    instanceId,
    tags: {
      app_id: target.appGuid,
      app_name: target.appName,
      instance_id: instanceId,
      process_type: process.type,
      process_id: process.guid,
      source_id: target.appGuid,
      space_id: target.spaceGuid,
    },
    gauge: {
      cpu: { unit: 'percentage', value: usage.cpuPercent },
      memory: { unit: 'bytes', value: usage.memoryBytes },
      disk: { unit: 'bytes', value: usage.diskBytes },
      memory_quota: { unit: 'bytes', value: process.memoryMB * mib },
      disk_quota: { unit: 'bytes', value: process.diskMB * mib },
    },
  };
}
