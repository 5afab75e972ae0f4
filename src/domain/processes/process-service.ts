import { notAuthorized, resourceNotFound, unprocessableEntity } from '../../errors/api-error.ts';
import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { isStoreError } from '../../store/errors.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import { getApp, spaceGuidOf, type App } from '../apps/app-service.ts';
import { metadataPatchOf } from '../metadata-writes.ts';
import type { RequestContext } from '../request-context.ts';
import { getVisibleByGuid, listInVisibleSpaces } from '../space-scoped.ts';
import { apiErrorOf, asCfError, mayI } from '../store-failures.ts';
import { checkInstancesLimit } from './instance-limit.ts';
import { defaultHealthCheckTypeOf, desiredInstancesOf, processDefaults, type Process } from './process-spec.ts';

export const processResourceType = 'Process';

export type ProcessFilters = {
  appGuids?: readonly string[];
  spaceGuids?: readonly string[];
  organizationGuids?: readonly string[];
  types?: readonly string[];
  guids?: readonly string[];
  labelSelector?: LabelSelector;
};

/** Processes of the apps the caller sees, read as the caller one visible space at a time. */
export async function listProcesses(context: RequestContext, filters: ProcessFilters): Promise<Process[]> {
  const processes = await listInVisibleSpaces(context, 'CFProcess', filters, processResourceType);
  return processes.filter((process) => matchesProcessFilters(process, filters));
}

function matchesProcessFilters(process: Process, filters: ProcessFilters): boolean {
  if (filters.appGuids && !filters.appGuids.includes(process.spec.appRef.name)) return false;
  if (filters.types && !filters.types.includes(process.spec.processType)) return false;
  if (filters.guids && !filters.guids.includes(process.metadata.name)) return false;
  return !filters.labelSelector || matchesLabelSelector(filters.labelSelector, process.metadata.labels ?? {});
}

/** The process, read as the caller; 404 when it does not exist or they may not read it. */
export function getProcess(context: RequestContext, guid: string): Promise<Process> {
  return getVisibleByGuid(context, 'CFProcess', guid, processResourceType);
}

/**
 * The app (read as the caller, 404 `App`) and its processes, read as the caller in the app's space:
 * roles that may read apps but not processes (a space auditor) see none, as in Korifi.
 */
export async function listAppProcesses(context: RequestContext, appGuid: string): Promise<{ app: App; processes: Process[] }> {
  const app = await getApp(context, appGuid);
  const selector: LabelSelector = [{ key: label('app-guid'), operator: 'equals', value: appGuid }];
  try {
    const { items } = await context.user.list('CFProcess', { namespace: spaceGuidOf(app), labelSelector: selector });
    return { app, processes: items.filter((process) => process.spec.appRef.name === appGuid) };
  } catch (error) {
    if (isStoreError(error, 'Forbidden')) return { app, processes: [] };
    throw apiErrorOf(error, processResourceType);
  }
}

/** The app's process of this type; 404 `App` for an app the caller cannot see, 404 `Process` for a type it lacks. */
export async function getAppProcess(
  context: RequestContext,
  appGuid: string,
  processType: string,
): Promise<{ app: App; process: Process }> {
  const { app, processes } = await listAppProcesses(context, appGuid);
  const process = processes.find((candidate) => candidate.spec.processType === processType);
  if (process === undefined) throw resourceNotFound(processResourceType);
  return { app, process };
}

/** The app a process belongs to, read as the server: the caller has just been allowed to read the process. */
export async function appOfProcess(context: RequestContext, process: Process): Promise<App | undefined> {
  try {
    return await context.server.get({ kind: 'CFApp', namespace: process.metadata.namespace ?? '', name: process.spec.appRef.name });
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return undefined;
    throw error;
  }
}

const processRef = (process: Process) => ({
  kind: 'CFProcess' as const,
  namespace: process.metadata.namespace ?? '',
  name: process.metadata.name,
});

export type ProcessScale = {
  instances?: number | null | undefined;
  memoryMB?: number | null | undefined;
  diskMB?: number | null | undefined;
};

/**
 * Scales a process as the caller: only the given fields change (null is absent, as Korifi decodes it).
 * More instances than `limits.instancesPerProcess` are refused with a 422, nothing written.
 * Each field is written as an absolute value in one merge patch, so concurrent scales end in a state
 * one of them asked for, whichever order they land in.
 */
export async function scaleProcess(context: RequestContext, process: Process, scale: ProcessScale): Promise<Process> {
  // Asked first: a scale to the current size writes nothing, but only a caller who may scale is answered 200.
  if (!(await mayI(context, 'patch', processRef(process), processResourceType))) throw notAuthorized();
  checkInstancesLimit(context.config, scale.instances);
  const spec: Record<string, number> = {};
  if (scale.instances !== undefined && scale.instances !== null) spec['desiredInstances'] = scale.instances;
  if (scale.memoryMB !== undefined && scale.memoryMB !== null) spec['memoryMB'] = scale.memoryMB;
  if (scale.diskMB !== undefined && scale.diskMB !== null) spec['diskQuotaMB'] = scale.diskMB;
  return asCfError(context.user.patch(processRef(process), { spec }), processResourceType);
}

export type ProcessUpdate = {
  command?: string | null | undefined;
  healthCheck?:
    | {
        type?: string | null | undefined;
        data?: { timeout?: number | null; invocation_timeout?: number | null; endpoint?: string | null } | null | undefined;
      }
    | null
    | undefined;
  metadata?: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } | null | undefined;
};

/**
 * Changes a process's command, health check and metadata as the caller. A null or empty command goes
 * back to the detected one; an empty health-check type, and a timeout of 0 or less, go back to the
 * defaults Korifi's webhook sets; an invocation timeout of 0 or less means none.
 */
export async function updateProcess(context: RequestContext, process: Process, update: ProcessUpdate): Promise<Process> {
  // Asked first: an update that changes nothing writes nothing, but only a caller who may change the process is answered 200.
  if (!(await mayI(context, 'patch', processRef(process), processResourceType))) throw notAuthorized();
  const spec: Record<string, unknown> = {};
  if (update.command !== undefined) spec['command'] = update.command === null || update.command === '' ? null : update.command;
  const healthCheck = healthCheckPatch(process, update.healthCheck);
  if (healthCheck !== undefined) spec['healthCheck'] = healthCheck;
  const patch = { metadata: metadataPatchOf(update.metadata ?? undefined), ...(Object.keys(spec).length > 0 ? { spec } : {}) };
  return asCfError(context.user.patch(processRef(process), patch), processResourceType);
}

function healthCheckPatch(process: Process, change: ProcessUpdate['healthCheck']): Record<string, unknown> | undefined {
  if (change === undefined || change === null) return undefined;
  const patch: Record<string, unknown> = {};
  if (change.type !== undefined && change.type !== null) {
    patch['type'] = change.type === '' ? defaultHealthCheckTypeOf(process.spec.processType) : change.type;
  }
  const data = healthCheckDataPatch(change.data);
  if (data !== undefined) patch['data'] = data;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

type HealthCheckDataChange = NonNullable<ProcessUpdate['healthCheck']>['data'];

function healthCheckDataPatch(data: HealthCheckDataChange): Record<string, unknown> | undefined {
  if (data === undefined || data === null) return undefined;
  const patch: Record<string, unknown> = {};
  if (data.timeout !== undefined) patch['timeoutSeconds'] = positiveOr(data.timeout, processDefaults.healthCheckTimeoutSeconds);
  if (data.invocation_timeout !== undefined) patch['invocationTimeoutSeconds'] = positiveOr(data.invocation_timeout, 0);
  if (data.endpoint !== undefined) patch['httpEndpoint'] = data.endpoint;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

const positiveOr = (value: number | null, fallback: number): number => (value === null || value <= 0 ? fallback : value);

/** Korifi's texts for an instance index that is not an integer, or not one of the process's instances. */
const invalidInstance = () => unprocessableEntity('Invalid Instance ID. Instance ID is not a valid Integer.');
const instanceNotFound = (index: string, processType: string) => resourceNotFound(`Instance ${index} of process ${processType}`);

/** Where a restart request for one instance is left for the process controller (a platform key users cannot set). */
export const restartRequestAnnotation = (index: number): string => `cfapi.cloudfoundry.org/restart-instance-${index}`;

/**
 * Asks for one instance to be stopped and started again, as the caller (who must be allowed to change
 * the process). The index must be an integer (as Go's `Atoi` reads it) below the desired instance count.
 * The request is an annotation on the CFProcess with the time it was made; this server's process
 * controller restarts the instance and removes the annotation.
 */
export async function restartProcessInstance(context: RequestContext, process: Process, rawIndex: string): Promise<void> {
  if (!/^[+-]?\d+$/.test(rawIndex)) throw invalidInstance();
  const index = Number.parseInt(rawIndex, 10);
  if (!Number.isSafeInteger(index)) throw invalidInstance();
  if (index < 0 || index >= desiredInstancesOf(process)) throw instanceNotFound(String(index), process.spec.processType);
  if (!(await mayI(context, 'patch', processRef(process), processResourceType))) throw notAuthorized();
  const annotations = { [restartRequestAnnotation(index)]: new Date().toISOString() };
  await asCfError(context.user.patch(processRef(process), { metadata: { annotations } }), processResourceType);
}
