import type { components } from '../../generated/openapi-types.ts';
import { getApp } from '../domain/apps/app-service.ts';
import {
  appOfProcess,
  getAppProcess as getAppProcessIn,
  getProcess as getProcessIn,
  listAppProcesses as listAppProcessesIn,
  listProcesses as listProcessesIn,
  restartProcessInstance,
  scaleProcess as scaleProcessIn,
  updateProcess as updateProcessIn,
} from '../domain/processes/process-service.ts';
import { instancesLimitOf } from '../domain/processes/instance-limit.ts';
import { instanceUsage, type InstanceUsage } from '../domain/processes/instance-usage.ts';
import type { Process } from '../domain/processes/process-spec.ts';
import type { App } from '../domain/apps/app-service.ts';
import { requestContext, type RequestContext } from '../domain/request-context.ts';
import { matchesLabelSelector } from '../labels/selector.ts';
import type { HandlerMap, OperationHandler, Scope } from '../http/operation.ts';
import { presentProcess, presentProcessStats } from '../presenters/process.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';
import { emptyPage } from './unsupported-features.ts';

type ProcessScaleBody = components['schemas']['ProcessScale'];

const processListView = (scope: Scope) => {
  const baseUrl = scope.runtime.config.externalUrl;
  return { sortFields: timestampFields, present: (process: Process) => presentProcess(process, baseUrl, { hideCommand: true }) };
};

const listProcesses: OperationHandler<'listProcesses'> = async ({ query }, scope) => {
  const filters = {
    ...present({
      appGuids: query.app_guids,
      spaceGuids: query.space_guids,
      organizationGuids: query.organization_guids,
      types: query.types,
      guids: query.guids,
    }),
    ...labelSelectorOf(query),
  };
  const processes = await listProcessesIn(requestContext(scope), filters);
  return { status: 200, body: pageOf(scope, processes, query, processListView(scope)) };
};

const getProcess: OperationHandler<'getProcess'> = async ({ path }, scope) => {
  const process = await getProcessIn(requestContext(scope), path.guid);
  return { status: 200, body: presentProcess(process, scope.runtime.config.externalUrl) };
};

const updateProcess: OperationHandler<'updateProcess'> = async ({ path, body }, scope) => {
  const context = requestContext(scope);
  const process = await getProcessIn(context, path.guid);
  const updated = await updateProcessIn(context, process, {
    command: body.command,
    healthCheck: body.health_check,
    metadata: body.metadata,
  });
  return { status: 200, body: presentProcess(updated, scope.runtime.config.externalUrl) };
};

/** Scales as asked; a log rate limit cannot be stored (Korifi has none), so it is ignored with a warning. */
async function scale(context: RequestContext, process: Process, body: ProcessScaleBody): Promise<Process> {
  if (body.log_rate_limit_in_bytes_per_second !== undefined && body.log_rate_limit_in_bytes_per_second !== null) {
    context.warn('Log rate limits are not supported; log_rate_limit_in_bytes_per_second was ignored.');
  }
  return scaleProcessIn(context, process, { instances: body.instances, memoryMB: body.memory_in_mb, diskMB: body.disk_in_mb });
}

const scaleProcess: OperationHandler<'scaleProcess'> = async ({ path, body }, scope) => {
  const context = requestContext(scope);
  const scaled = await scale(context, await getProcessIn(context, path.guid), body);
  return { status: 200, body: presentProcess(scaled, scope.runtime.config.externalUrl) };
};

/**
 * The process's instances with their usage. Usage is only measured for a started app; a measure that
 * fails (a metrics server down) leaves it empty with a warning rather than failing `cf app`.
 */
async function statsOf(scope: Scope, context: RequestContext, process: Process, app: App | undefined) {
  let usage: ReadonlyMap<number, InstanceUsage> = new Map();
  if (app?.spec.desiredState === 'STARTED') {
    try {
      usage = await instanceUsage(context, scope.runtime.logSource, app, process);
    } catch (error) {
      scope.log.warn({ err: error, process: process.metadata.name }, 'instance usage could not be read');
      context.warn('Instance usage is unavailable: it could not be read.');
    }
  }
  return presentProcessStats(process, app, new Date(), { usage, maxInstances: instancesLimitOf(scope.runtime.config) });
}

const getProcessStats: OperationHandler<'getProcessStats'> = async ({ path }, scope) => {
  const context = requestContext(scope);
  const process = await getProcessIn(context, path.guid);
  return { status: 200, body: await statsOf(scope, context, process, await appOfProcess(context, process)) };
};

const restartInstance: OperationHandler<'restartProcessInstance'> = async ({ path }, scope) => {
  const context = requestContext(scope);
  await restartProcessInstance(context, await getProcessIn(context, path.guid), path.index);
  return { status: 204 };
};

const listAppProcesses: OperationHandler<'listAppProcesses'> = async ({ path, query }, scope) => {
  const { processes } = await listAppProcessesIn(requestContext(scope), path.guid);
  const { labelSelector } = labelSelectorOf(query);
  const selected =
    labelSelector === undefined
      ? processes
      : processes.filter((process) => matchesLabelSelector(labelSelector, process.metadata.labels ?? {}));
  return { status: 200, body: pageOf(scope, selected, query, processListView(scope)) };
};

const getAppProcess: OperationHandler<'getAppProcess'> = async ({ path }, scope) => {
  const { process } = await getAppProcessIn(requestContext(scope), path.guid, path.type);
  return { status: 200, body: presentProcess(process, scope.runtime.config.externalUrl) };
};

const getAppProcessStats: OperationHandler<'getAppProcessStats'> = async ({ path }, scope) => {
  const context = requestContext(scope);
  const { app, process } = await getAppProcessIn(context, path.guid, path.type);
  return { status: 200, body: await statsOf(scope, context, process, app) };
};

const scaleAppProcess: OperationHandler<'scaleAppProcess'> = async ({ path, body }, scope) => {
  const context = requestContext(scope);
  const { process } = await getAppProcessIn(context, path.guid, path.type);
  const scaled = await scale(context, process, body);
  return { status: 200, body: presentProcess(scaled, scope.runtime.config.externalUrl) };
};

const restartAppProcessInstance: OperationHandler<'restartAppProcessInstance'> = async ({ path }, scope) => {
  const context = requestContext(scope);
  const { process } = await getAppProcessIn(context, path.guid, path.type);
  await restartProcessInstance(context, process, path.index);
  return { status: 204 };
};

/** Sidecars are not supported: an empty page, once the process is known to exist for the caller. */
const listProcessSidecars: OperationHandler<'listProcessSidecars'> = async ({ path, query }, scope) => {
  await getProcessIn(requestContext(scope), path.guid);
  return { status: 200, body: emptyPage(query, scope) };
};

const listAppSidecars: OperationHandler<'listAppSidecars'> = async ({ path, query }, scope) => {
  await getApp(requestContext(scope), path.guid);
  return { status: 200, body: emptyPage(query, scope) };
};

export const processHandlers = {
  listProcesses,
  getProcess,
  updateProcess,
  scaleProcess,
  getProcessStats,
  restartProcessInstance: restartInstance,
  listAppProcesses,
  getAppProcess,
  getAppProcessStats,
  scaleAppProcess,
  restartAppProcessInstance,
  listProcessSidecars,
  listAppSidecars,
} satisfies Partial<HandlerMap>;
