import type { components } from '../../generated/openapi-types.ts';
import { desiredInstancesOf, effectiveCommand, effectiveHealthCheckType, type Process } from '../domain/processes/process-spec.ts';
import type { InstanceUsage } from '../domain/processes/instance-usage.ts';
import type { StoredObject } from '../store/objects.ts';
import { presentMetadata, presentTimestamps } from './resource-basics.ts';

type Schemas = components['schemas'];

/** What lists show instead of a command, which may hold secrets (Korifi's and CAPI's text). */
export const hiddenCommand = '[PRIVATE DATA HIDDEN IN LISTS]';

const mebibyte = 1024 * 1024;

/** A stored timeout of 0 (or less) means "the default", which CF shows as null. */
const timeoutOrNull = (seconds: number | undefined): number | null => (seconds !== undefined && seconds > 0 ? seconds : null);

function presentHealthCheck(process: Process): Schemas['HealthCheck'] {
  const { data } = process.spec.healthCheck;
  const timeout = timeoutOrNull(data.timeoutSeconds);
  const invocationTimeout = timeoutOrNull(data.invocationTimeoutSeconds);
  switch (effectiveHealthCheckType(process)) {
    case 'http':
      return { type: 'http', data: { timeout, invocation_timeout: invocationTimeout, endpoint: data.httpEndpoint || '/' } };
    case 'port':
      return { type: 'port', data: { timeout, invocation_timeout: invocationTimeout } };
    case 'process':
      return { type: 'process', data: { timeout } };
  }
}

/** A process as CF shows it; `hideCommand` for lists. Its space is the namespace it lives in. */
export function presentProcess(process: Process, baseUrl: string, options: { hideCommand?: boolean } = {}): Schemas['Process'] {
  const self = `${baseUrl}/v3/processes/${process.metadata.name}`;
  const appGuid = process.spec.appRef.name;
  return {
    guid: process.metadata.name,
    ...presentTimestamps(process),
    type: process.spec.processType,
    command: options.hideCommand ? hiddenCommand : (effectiveCommand(process) ?? null),
    instances: desiredInstancesOf(process),
    memory_in_mb: process.spec.memoryMB,
    disk_in_mb: process.spec.diskQuotaMB,
    log_rate_limit_in_bytes_per_second: -1,
    health_check: presentHealthCheck(process),
    readiness_health_check: { type: 'process', data: { invocation_timeout: null, interval: null } },
    relationships: { app: { data: { guid: appGuid } } },
    metadata: presentMetadata(process),
    links: {
      self: { href: self },
      scale: { href: `${self}/actions/scale`, method: 'POST' },
      app: { href: `${baseUrl}/v3/apps/${appGuid}` },
      space: { href: `${baseUrl}/v3/spaces/${process.metadata.namespace ?? ''}` },
      stats: { href: `${self}/stats` },
    },
  };
}

type InstanceStats = Schemas['ProcessInstanceStats'];
type ReportedState = 'RUNNING' | 'STARTING' | 'CRASHED';

/**
 * One entry per desired instance, by index, from what the process controller (Korifi's, or ours) last
 * recorded in `status.instancesStatus`. A stopped app runs nothing, so all its instances are DOWN (the
 * cf CLI counts them as `0/N`), as is any index the runtime does not report. Usage is the instance's
 * newest measure, or an empty object, CF's "unavailable", where there is none. Past `maxInstances` (the
 * configured limit, which the API enforces), only indexes the controller reported are listed, so a
 * desired count stored past the API does not make the response grow with it.
 */
export function presentProcessStats(
  process: Process,
  app: StoredObject<'CFApp'> | undefined,
  now: Date,
  options: { usage?: ReadonlyMap<number, InstanceUsage>; maxInstances?: number } = {},
): Schemas['ProcessStats'] {
  const { usage = new Map<number, InstanceUsage>(), maxInstances = Number.POSITIVE_INFINITY } = options;
  const started = app?.spec.desiredState === 'STARTED';
  const reported = started ? (process.status?.instancesStatus ?? {}) : {};
  const resources: InstanceStats[] = [];
  const listed = Math.min(desiredInstancesOf(process), Math.max(maxInstances, highestIndexOf(reported) + 1));
  for (let index = 0; index < listed; index++) {
    const instance = reported[String(index)];
    if (instance === undefined || instance.state === 'DOWN') resources.push(downInstance(process, index));
    else resources.push(upInstance(process, index, { state: instance.state, timestamp: instance.timestamp, usage: usage.get(index) }, now));
  }
  return { resources };
}

/** The highest index among the reported instances (-1 for none). */
function highestIndexOf(reported: Readonly<Record<string, unknown>>): number {
  let highest = -1;
  for (const key of Object.keys(reported)) {
    const index = Number(key);
    if (Number.isSafeInteger(index) && index > highest) highest = index;
  }
  return highest;
}

function downInstance(process: Process, index: number): InstanceStats {
  return { type: process.spec.processType, index, state: 'DOWN', routable: false, uptime: 0, isolation_segment: null, details: null };
}

/** An instance that exists, with the state the controller recorded and since when, and its usage if measured. */
type UpInstance = { state: ReportedState; timestamp: string | undefined; usage: InstanceUsage | undefined };

function upInstance(process: Process, index: number, instance: UpInstance, now: Date): InstanceStats {
  const { state, timestamp, usage } = instance;
  const started = timestamp === undefined ? Number.NaN : Date.parse(timestamp);
  const uptime = state === 'RUNNING' && !Number.isNaN(started) ? Math.max(0, Math.floor((now.getTime() - started) / 1000)) : null;
  return {
    type: process.spec.processType,
    index,
    state,
    routable: state === 'RUNNING',
    usage: usage === undefined ? {} : { time: nanosecondTime(usage.timeNs), cpu: usage.cpu, mem: usage.memoryBytes, disk: usage.diskBytes },
    host: null,
    instance_ports: [],
    uptime,
    mem_quota: process.spec.memoryMB * mebibyte,
    disk_quota: process.spec.diskQuotaMB * mebibyte,
    log_rate_limit: -1,
    fds_quota: null,
    isolation_segment: null,
    details: null,
  };
}

/** An RFC 3339 time to the nanosecond, as Cloud Controller writes `usage.time`. */
function nanosecondTime(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}
