import type { TaskRunStatus, TaskWorkload } from '../../app-runtime/app-runtime.ts';
import {
  canceledMessage,
  canceledReason,
  finishedAt,
  isFinished,
  isInitialized,
  taskConditions,
  taskDiskAnnotation,
  taskMemoryAnnotation,
  taskName,
  type Task,
} from '../../domain/tasks/task-state.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import type { StoredObject } from '../../store/objects.ts';
import { refOf } from '../../store/refs.ts';
import type { MergePatch, StoreSession } from '../../store/port.ts';
import { isStoreError } from '../../store/errors.ts';
import { isConditionTrue, withConditions, type WantedCondition } from './conditions.ts';
import type { KindControllerDefinition, WorkloadContext } from './kind-controller.ts';

/** Korifi's `cfProcessDefaults`, which its task controller gives every task. */
const defaultMemoryMB = 1024;
const defaultDiskMB = 1024;
/** A task whose app has no droplet (yet) is looked at again this soon. */
const waitForDropletMs = 2_000;
/** The longest a finished task waits for its TTL in one go (timers hold 24 days at most; the resync comes meanwhile). */
const maxRequeueMs = 24 * 3600 * 1000;

/**
 * What Korifi's CFTask controller does, with the runtime port in place of its TaskWorkload: initializes
 * the task (sequence ID, sizes, the app's current droplet), runs it, follows it to Succeeded or Failed,
 * cancels it when `spec.canceled` is set (Canceled, then Failed with reason TaskCanceled), deletes it
 * `taskTTLSeconds` after it ended, and lets the runtime forget it once it is gone.
 */
export const taskController: KindControllerDefinition<'CFTask'> = {
  kind: 'CFTask',
  runtimeChanges: async (change, { session }) => {
    if (change.kind !== 'task') return [];
    return (await session.list('CFTask', { name: change.guid })).items.map((task) => refOf(task));
  },
  async reconcile(context, ref, task) {
    if (task === undefined) {
      await context.runtime.removeTask(ref.name);
      return undefined;
    }
    if (task.metadata.deletionTimestamp !== undefined) return undefined;
    if (!isInitialized(task)) return initialize(context, task);
    if (isFinished(task)) return expire(context, task);
    if (task.spec.canceled === true) return cancel(context, task);
    if (!isConditionTrue(task.status?.conditions, taskConditions.started)) return start(context, task);
    return follow(context, task, await context.runtime.taskStatus(task.metadata.name));
  },
};

const generationOf = (task: Task) => task.metadata.generation ?? 0;

/** A True condition of the task's current generation. */
const condition = (task: Task, type: string, reason: string, message = ''): WantedCondition => ({
  type,
  status: 'True',
  reason,
  message,
  observedGeneration: generationOf(task),
});

/** Writes the wanted conditions (and any other status fields) unless they hold already. */
async function writeStatus(session: StoreSession, task: Task, wanted: WantedCondition[], fields: MergePatch = {}): Promise<void> {
  const conditions = withConditions(task.status?.conditions, wanted, new Date());
  if (conditions === undefined && Object.keys(fields).length === 0) return;
  await session.patchStatus(
    refOf(task),
    { ...fields, observedGeneration: generationOf(task), conditions: conditions ?? task.status?.conditions ?? [] },
    { resourceVersion: task.metadata.resourceVersion! },
  );
}

const appOf = (session: StoreSession, task: Task) =>
  session.get({ kind: 'CFApp', namespace: task.metadata.namespace ?? '', name: task.spec.appRef?.name ?? '' });

async function initialize({ session, logger }: WorkloadContext, task: Task) {
  let app: StoredObject<'CFApp'>;
  try {
    app = await appOf(session, task);
  } catch (error) {
    // The app is gone, and its tasks go with it (they are its dependents).
    if (isStoreError(error, 'NotFound')) return undefined;
    throw error;
  }
  const droplet = app.spec.currentDropletRef?.name ?? '';
  if (droplet === '') {
    logger.debug({ task: task.metadata.name }, 'the app of the task has no current droplet yet');
    return { requeueAfterMs: waitForDropletMs };
  }
  await withAppLock(`${app.metadata.namespace ?? ''}/${app.metadata.name}`, async () => {
    const sequenceId = await nextSequenceId(session, app);
    await writeStatus(session, task, [condition(task, taskConditions.initialized, 'TaskInitialized')], {
      sequenceId,
      memoryMB: sizeOf(task, taskMemoryAnnotation) ?? defaultMemoryMB,
      diskQuotaMB: sizeOf(task, taskDiskAnnotation) ?? defaultDiskMB,
      dropletRef: { name: droplet },
    });
  });
  return undefined;
}

function sizeOf(task: Task, annotation: string): number | undefined {
  const value = Number(task.metadata.annotations?.[annotation]);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * CF numbers an app's tasks 1, 2, 3…; so does this controller: one more than the highest of the app's
 * tasks. Korifi numbers them by time (`YYYYMMDDhhmmssSSS`), numbers beyond what a JSON number keeps
 * exactly here, which is why this controller does not (see `sequenceIdText`). Such numbers are left out
 * of the count. Numbering is serialized per app within this process (the one that holds the reconcile
 * lease); a number is reused only when the app's newest task was deleted (TTL) and with it every holder.
 */
async function nextSequenceId(session: StoreSession, app: StoredObject<'CFApp'>): Promise<number> {
  const tasks = await session.list('CFTask', {
    namespace: app.metadata.namespace ?? '',
    labelSelector: [{ key: label('app-guid'), operator: 'equals', value: app.metadata.name }],
  });
  const taken = tasks.items.map((task) => task.status?.sequenceId).filter((id): id is number => Number.isSafeInteger(id));
  return Math.max(0, ...taken) + 1;
}

const appLocks = new Map<string, Promise<unknown>>();

/** Runs `work` after every earlier work of the same app key has ended. */
async function withAppLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = appLocks.get(key) ?? Promise.resolve();
  const current = previous.then(work, work);
  const settled = current.catch(() => undefined);
  appLocks.set(key, settled);
  try {
    return await current;
  } finally {
    if (appLocks.get(key) === settled) appLocks.delete(key);
  }
}

const lostMessage = 'the task stopped when the app runtime that ran it restarted; run it again if it must run';

async function start(context: WorkloadContext, task: Task) {
  const { session, runtime } = context;
  const found = await buildAndApp(session, task);
  if (found === undefined) {
    const dropletGuid = task.status?.dropletRef?.name ?? '';
    await writeStatus(session, task, [
      condition(task, taskConditions.failed, 'DropletNotFound', `the droplet ${dropletGuid} or the app of the task does not exist`),
    ]);
    return undefined;
  }
  await runtime.runTask(workloadOf(task, found.build, found.app, await environmentOf(session, found.app)));
  await writeStatus(session, task, [condition(task, taskConditions.started, 'TaskStarted')]);
  return undefined;
}

function workloadOf(
  task: Task,
  build: StoredObject<'CFBuild'>,
  app: StoredObject<'CFApp'>,
  environment: Record<string, string>,
): TaskWorkload {
  return {
    taskGuid: task.metadata.name,
    name: taskName(task),
    appGuid: app.metadata.name,
    spaceGuid: app.metadata.namespace ?? '',
    command: task.spec.command ?? '',
    droplet: { guid: build.metadata.name, image: build.status?.droplet?.registry.image ?? '' },
    memoryMB: task.status?.memoryMB ?? defaultMemoryMB,
    diskMB: task.status?.diskQuotaMB ?? defaultDiskMB,
    environment,
  };
}

/** The task's droplet (its CFBuild) and app, or undefined when either is gone. */
async function buildAndApp(session: StoreSession, task: Task) {
  const namespace = task.metadata.namespace ?? '';
  try {
    const [build, app] = await Promise.all([
      session.get({ kind: 'CFBuild', namespace, name: task.status?.dropletRef?.name ?? '' }),
      appOf(session, task),
    ]);
    return { build, app };
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return undefined;
    throw error;
  }
}

/**
 * The app's user-provided environment variables (its env Secret), as the task runs with them, and its
 * VCAP_SERVICES when the app's status names the Secret that holds them (the app's bound services).
 */
async function environmentOf(session: StoreSession, app: StoredObject<'CFApp'>): Promise<Record<string, string>> {
  const user = await secretData(session, app, app.spec.envSecretName ?? `${app.metadata.name}-env`);
  const servicesSecret = app.status?.vcapServicesSecretName ?? '';
  if (servicesSecret === '') return user;
  const vcapServices = (await secretData(session, app, servicesSecret))['VCAP_SERVICES'];
  return vcapServices === undefined ? user : { ...user, VCAP_SERVICES: vcapServices };
}

async function secretData(session: StoreSession, app: StoredObject<'CFApp'>, name: string): Promise<Record<string, string>> {
  try {
    const secret = await session.get({ kind: 'Secret', namespace: app.metadata.namespace ?? '', name });
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
    );
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return {};
    throw error;
  }
}

/**
 * A running (or still pending) task follows what the runtime says. A started task the runtime does not
 * know went with it (the server restarted, or another replica took over): it failed. Tasks run at most
 * once, as in CF, where a task whose cell goes away fails: running a one-off command such as a
 * migration a second time could do harm.
 */
async function follow(context: WorkloadContext, task: Task, status: TaskRunStatus | undefined) {
  if (status === undefined) {
    await writeStatus(context.session, task, [condition(task, taskConditions.failed, 'TaskLost', lostMessage)]);
    return undefined;
  }
  if (status.state === 'RUNNING') return undefined;
  if (status.state === 'SUCCEEDED') {
    await writeStatus(context.session, task, [condition(task, taskConditions.succeeded, 'TaskSucceeded')]);
  } else {
    const failed = status.canceled
      ? condition(task, taskConditions.failed, canceledReason, canceledMessage)
      : condition(task, taskConditions.failed, 'TaskFailed', status.reason);
    await writeStatus(context.session, task, [failed]);
  }
  return undefined;
}

/** Stops the task in the runtime, says Canceled, and Failed (TaskCanceled) once it has stopped. */
async function cancel({ session, runtime }: WorkloadContext, task: Task) {
  await runtime.cancelTask(task.metadata.name);
  const status = await runtime.taskStatus(task.metadata.name);
  const wanted = [condition(task, taskConditions.canceled, canceledReason, canceledMessage)];
  // Stopped, or never started here: nothing runs any more. One that ended on its own first keeps its outcome.
  if (status === undefined || status.state === 'FAILED')
    wanted.push(condition(task, taskConditions.failed, canceledReason, canceledMessage));
  if (status?.state === 'SUCCEEDED') wanted.splice(0, 1, condition(task, taskConditions.succeeded, 'TaskSucceeded'));
  await writeStatus(session, task, wanted);
  return undefined;
}

/** Deletes a finished task `taskTTLSeconds` after it ended (Korifi's taskTTL); until then, comes back then. */
async function expire({ session, config }: WorkloadContext, task: Task) {
  const ended = finishedAt(task);
  if (ended === undefined || Number.isNaN(ended.getTime())) return undefined;
  const remainingMs = ended.getTime() + config.taskTTLSeconds * 1000 - Date.now();
  if (remainingMs > 0) return { requeueAfterMs: Math.min(remainingMs, maxRequeueMs) };
  try {
    await session.delete(refOf(task), { resourceVersion: task.metadata.resourceVersion! });
  } catch (error) {
    if (!isStoreError(error, 'NotFound')) throw error;
  }
  return undefined;
}
