import { randomUUID } from 'node:crypto';
import { notAuthorized, resourceNotFound, serviceUnavailable, unprocessableEntity } from '../../errors/api-error.ts';
import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { isStoreError } from '../../store/errors.ts';
import { apiVersionOf, kinds } from '../../store/kinds.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import type { NewObject, StoredObject } from '../../store/objects.ts';
import { refOf } from '../../store/refs.ts';
import type { StoreSession } from '../../store/port.ts';
import { getApp, spaceGuidOf, type App } from '../apps/app-service.ts';
import { metadataOfCreate, metadataPatchOf } from '../metadata-writes.ts';
import type { RequestContext } from '../request-context.ts';
import { getVisibleByGuid, listInVisibleSpaces } from '../space-scoped.ts';
import { apiErrorOf, asCfError, mayI, referenced } from '../store-failures.ts';
import {
  appGuidOf,
  isFinished,
  isInitialized,
  sequenceIdText,
  taskConditions,
  taskDiskAnnotation,
  taskMemoryAnnotation,
  taskName,
  taskNameAnnotation,
  taskState,
  type Task,
  type TaskState,
} from './task-state.ts';

export type { Task } from './task-state.ts';

export const taskResourceType = 'Task';

type Metadata = { labels?: Record<string, string>; annotations?: Record<string, string> };

export type TaskFilters = {
  guids?: readonly string[];
  names?: readonly string[];
  states?: readonly TaskState[];
  appGuids?: readonly string[];
  spaceGuids?: readonly string[];
  organizationGuids?: readonly string[];
  /** Exact decimal text (see `sequenceIdText`). */
  sequenceIds?: readonly string[];
  labelSelector?: LabelSelector;
};

export type TaskCreate = {
  command?: string | undefined;
  name?: string | undefined;
  memoryMB?: number | undefined;
  diskMB?: number | undefined;
  templateProcessGuid?: string | undefined;
  metadata?: Metadata | null | undefined;
};

export type TaskUpdate = {
  metadata?: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } | null | undefined;
};

/** Korifi's texts (its API and its validating webhook). */
const noDroplet = 'Task must have a droplet. Assign current droplet to app.';
const cannotCancel = (state: TaskState) => `Task state is ${state} and therefore cannot be canceled`;

const taskRef = (task: Task) => refOf(task);

/**
 * Tasks the caller sees: CFTasks in the spaces they see, read as them one space at a time (a role that
 * may not read tasks, as a space auditor's in Korifi, contributes none). A task is shown once its
 * controller has initialized it, as in Korifi: before that it has no sequence ID or droplet.
 */
export async function listTasks(context: RequestContext, filters: TaskFilters): Promise<Task[]> {
  const tasks = await listInVisibleSpaces(context, 'CFTask', filters, taskResourceType);
  return tasks.filter((task) => matchesTaskFilters(task, filters));
}

/** The tasks of one app (404 when the caller cannot see the app), read as the caller in its space. */
export async function listAppTasks(context: RequestContext, appGuid: string, filters: TaskFilters): Promise<Task[]> {
  const app = await getApp(context, appGuid);
  const selector: LabelSelector = [{ key: label('app-guid'), operator: 'equals', value: app.metadata.name }];
  let tasks: Task[];
  try {
    tasks = (await context.user.list('CFTask', { namespace: spaceGuidOf(app), labelSelector: selector })).items;
  } catch (error) {
    if (!isStoreError(error, 'Forbidden')) throw apiErrorOf(error, taskResourceType);
    tasks = [];
  }
  return tasks.filter((task) => appGuidOf(task) === app.metadata.name && matchesTaskFilters(task, filters));
}

function matchesTaskFilters(task: Task, filters: TaskFilters): boolean {
  const among = (values: readonly string[] | undefined, value: string) => values === undefined || values.includes(value);
  return (
    isInitialized(task) &&
    among(filters.guids, task.metadata.name) &&
    among(filters.names, taskName(task)) &&
    among(filters.states, taskState(task)) &&
    among(filters.appGuids, appGuidOf(task)) &&
    among(filters.sequenceIds, sequenceIdText(task) ?? '') &&
    (!filters.labelSelector || matchesLabelSelector(filters.labelSelector, task.metadata.labels ?? {}))
  );
}

/** The task, read as the caller; 404 when it does not exist, they may not read it, or it is not initialized yet. */
export async function getTask(context: RequestContext, guid: string): Promise<Task> {
  const task = await getVisibleByGuid(context, 'CFTask', guid, taskResourceType);
  if (!isInitialized(task)) throw resourceNotFound(taskResourceType);
  return task;
}

/**
 * Creates a task of the app as the caller and waits until the controller has initialized it (sequence
 * ID, sizes, droplet), as Korifi does. The command comes from the request or from a template process of
 * the app (whose sizes the task takes unless the request gives its own).
 */
export async function createTask(context: RequestContext, appGuid: string, request: TaskCreate): Promise<Task> {
  const app = await getApp(context, appGuid);
  const namespace = spaceGuidOf(app);
  if (!(await mayI(context, 'create', { kind: 'CFTask', namespace }, taskResourceType))) throw notAuthorized();
  if ((app.spec.currentDropletRef?.name ?? '') === '') throw unprocessableEntity(noDroplet);
  const created = await asCfError(context.user.create(newTask(app, request, await runSpecOf(context, app, request))), taskResourceType);
  return waitForTask(context.user, taskRef(created), isInitialized, {
    timeoutSeconds: context.config.readyTimeoutSeconds,
    failure: (seconds) =>
      `Task ${created.metadata.name} was created but its controller did not set it up within ${seconds} seconds; it will ` +
      'run once the controller (Korifi, or this server with reconcilers enabled) gets to it. Check that it is running.',
  });
}

type RunSpec = { command: string; memoryMB?: number | undefined; diskMB?: number | undefined };

/** What the task runs and with how much: from the request, else from its template process. */
async function runSpecOf(context: RequestContext, app: App, request: TaskCreate): Promise<RunSpec> {
  const template = request.templateProcessGuid === undefined ? undefined : await templateProcess(context, app, request.templateProcessGuid);
  const command = request.command ?? (template?.spec.command || template?.spec.detectedCommand) ?? '';
  if (command === '') throw unprocessableEntity('The task has no command: give one, or a template process that has one.');
  return { command, memoryMB: request.memoryMB ?? template?.spec.memoryMB, diskMB: request.diskMB ?? template?.spec.diskQuotaMB };
}

/**
 * The CFTask: named by a new GUID in the app's space, owned by the app. CF's name and sizes are not in
 * Korifi's CRD, so they are kept in annotations of this server (Korifi's controller gives every task
 * the default sizes, and Korifi shows a task's GUID as its name).
 */
function newTask(app: App, request: TaskCreate, run: RunSpec): NewObject<'CFTask'> {
  const guid = randomUUID();
  const metadata = metadataOfCreate(request.metadata ?? undefined);
  const annotations: Record<string, string> = {
    ...metadata.annotations,
    // CAPI names a task without a name by 8 random hex digits; these are the GUID's first 8.
    [taskNameAnnotation]: request.name ?? guid.slice(0, 8),
  };
  if (run.memoryMB !== undefined) annotations[taskMemoryAnnotation] = String(run.memoryMB);
  if (run.diskMB !== undefined) annotations[taskDiskAnnotation] = String(run.diskMB);
  return {
    kind: 'CFTask',
    metadata: {
      name: guid,
      namespace: spaceGuidOf(app),
      ...metadata,
      annotations,
      ownerReferences: [{ apiVersion: apiVersionOf(kinds.CFApp), kind: 'CFApp', name: app.metadata.name, uid: app.metadata.uid ?? '' }],
    },
    spec: { command: run.command, appRef: { name: app.metadata.name } },
  };
}

/** The template process: one of the app's processes the caller sees; anything else is a bad reference (422). */
async function templateProcess(context: RequestContext, app: App, guid: string): Promise<StoredObject<'CFProcess'>> {
  const invalid = () => unprocessableEntity('Template process not found. Ensure it exists, belongs to the app and you have access to it.');
  const process = await referenced(getVisibleByGuid(context, 'CFProcess', guid, 'Process'), invalid);
  if (process.spec.appRef.name !== app.metadata.name) throw invalid();
  return process;
}

/** Changes the task's labels and annotations as the caller. */
export async function updateTask(context: RequestContext, guid: string, request: TaskUpdate): Promise<Task> {
  const task = await getTask(context, guid);
  if (!(await mayI(context, 'patch', taskRef(task), taskResourceType))) throw notAuthorized();
  return asCfError(context.user.patch(taskRef(task), { metadata: metadataPatchOf(request.metadata ?? undefined) }), taskResourceType);
}

/**
 * Asks the controller to stop the task (`spec.canceled`, as the caller) and waits until it says it is
 * cancelling, as Korifi does. A task that has ended cannot be cancelled (Korifi's webhook refuses it; here
 * the API does). A task that ends on its own meanwhile is answered as it is.
 */
export async function cancelTask(context: RequestContext, guid: string): Promise<Task> {
  const task = await getTask(context, guid);
  if (!(await mayI(context, 'patch', taskRef(task), taskResourceType))) throw notAuthorized();
  if (isFinished(task)) throw unprocessableEntity(cannotCancel(taskState(task)));
  await asCfError(context.user.patch(taskRef(task), { spec: { canceled: true } }), taskResourceType);
  const canceledOrEnded = (current: Task) =>
    isFinished(current) || (current.status?.conditions ?? []).some((c) => c.type === taskConditions.canceled && c.status === 'True');
  return waitForTask(context.user, taskRef(task), canceledOrEnded, {
    timeoutSeconds: context.config.readyTimeoutSeconds,
    failure: (seconds) =>
      `Task ${guid} was asked to stop but its controller did not confirm within ${seconds} seconds; it will be cancelled ` +
      'once the controller (Korifi, or this server with reconcilers enabled) gets to it. Check that it is running.',
  });
}

async function waitForTask(
  session: StoreSession,
  ref: ReturnType<typeof taskRef>,
  condition: (task: Task) => boolean,
  options: { timeoutSeconds: number; failure: (seconds: number) => string },
): Promise<Task> {
  try {
    return await session.waitFor(ref, condition, { timeoutMs: options.timeoutSeconds * 1000 });
  } catch (error) {
    if (isStoreError(error, 'Timeout')) throw serviceUnavailable(options.failure(options.timeoutSeconds));
    throw apiErrorOf(error, taskResourceType);
  }
}
