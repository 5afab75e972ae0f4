import { label } from '../../store/korifi-labels/label-rules.ts';
import type { Condition, StoredObject } from '../../store/objects.ts';

export type Task = StoredObject<'CFTask'>;

export type TaskState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'CANCELING' | 'FAILED';

/** Korifi's condition types on a CFTask, in the order its controller sets them. */
export const taskConditions = {
  initialized: 'Initialized',
  started: 'Started',
  succeeded: 'Succeeded',
  failed: 'Failed',
  canceled: 'Canceled',
} as const;

/** The reason of the Failed condition of a cancelled task, and the failure CF shows for it. */
export const canceledReason = 'TaskCanceled';
export const canceledMessage = 'task was cancelled';

const isTrue = (task: Task, type: string): boolean =>
  (task.status?.conditions ?? []).some((condition: Condition) => condition.type === type && condition.status === 'True');

const conditionOf = (task: Task, type: string): Condition | undefined =>
  (task.status?.conditions ?? []).find((condition) => condition.type === type);

/** Whether the task's controller has set it up (sequence ID, sizes, droplet): until then CF does not show it. */
export const isInitialized = (task: Task): boolean => isTrue(task, taskConditions.initialized);

/** The state CF shows, from the conditions as Korifi maps them: the first that holds wins. */
export function taskState(task: Task): TaskState {
  if (isTrue(task, taskConditions.succeeded)) return 'SUCCEEDED';
  if (isTrue(task, taskConditions.failed)) return 'FAILED';
  if (isTrue(task, taskConditions.canceled)) return 'CANCELING';
  if (isTrue(task, taskConditions.started)) return 'RUNNING';
  return 'PENDING';
}

/** Whether the task has ended, either way. */
export const isFinished = (task: Task): boolean => isTrue(task, taskConditions.succeeded) || isTrue(task, taskConditions.failed);

/** Why a FAILED task failed: its Failed condition's message (a cancelled one says so). */
export function failureReason(task: Task): string | null {
  const failed = conditionOf(task, taskConditions.failed);
  if (failed?.status !== 'True') return null;
  if (failed.reason === canceledReason) return canceledMessage;
  return failed.message === '' ? 'task failed' : failed.message;
}

/** When the task ended (the transition of its Succeeded or Failed condition), for the TTL. */
export function finishedAt(task: Task): Date | undefined {
  const ended = [conditionOf(task, taskConditions.succeeded), conditionOf(task, taskConditions.failed)].find(
    (condition) => condition?.status === 'True',
  );
  return ended === undefined ? undefined : new Date(ended.lastTransitionTime);
}

const sequenceIdLabel = label('task-sequence-id');
const decimal = /^[1-9]\d*$/;

/**
 * The task's sequence ID as exact decimal text. Korifi's controller numbers tasks by their creation time
 * (`YYYYMMDDhhmmssSSS`, about 2·10^16), beyond the integers a JSON number keeps exactly in JavaScript
 * (2^53), so `status.sequenceId` as read here may be off by a few units; Korifi's webhook writes the
 * same int64 into the `task-sequence-id` label, whose text is exact. The label is trusted when it is the
 * number the status holds, as far as a double can tell; this server's own controller numbers an app's
 * tasks from 1, which both forms hold exactly.
 */
export function sequenceIdText(task: Task): string | undefined {
  const stored = task.status?.sequenceId;
  const labelled = task.metadata.labels?.[sequenceIdLabel];
  if (labelled !== undefined && decimal.test(labelled) && (stored === undefined || Number(labelled) === stored)) return labelled;
  if (typeof stored !== 'number' || !Number.isInteger(stored) || stored < 1) return undefined;
  return BigInt(stored).toString();
}

/** A sequence ID as a request gives it (`sequence_ids`), in the form `sequenceIdText` answers, or undefined. */
export function normalizedSequenceId(text: string): string | undefined {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? BigInt(trimmed).toString() : undefined;
}

/** The task's name: the one given at creation (kept in an annotation), else its GUID, as Korifi shows it. */
export const taskNameAnnotation = 'cfapi.cloudfoundry.org/task-name';
/** Sizes a create request asked for, which this server's controller uses instead of the defaults. */
export const taskMemoryAnnotation = 'cfapi.cloudfoundry.org/task-memory-mb';
export const taskDiskAnnotation = 'cfapi.cloudfoundry.org/task-disk-mb';

export const taskName = (task: Task): string => task.metadata.annotations?.[taskNameAnnotation] ?? task.metadata.name;

/** The app a task belongs to. */
export const appGuidOf = (task: Task): string => task.spec.appRef?.name ?? '';
