import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskRunStatus, TaskWorkload } from '../../app-runtime.ts';
import { exitStatus, ProcessGroup, type LeaderExit } from '../instances/process-group.ts';
import { WorkloadLauncher, type WorkloadPlace } from '../instances/workload-launcher.ts';

export type TaskRunnerTimings = {
  /** From SIGTERM to SIGKILL when a task is cancelled (CF: 10 s). */
  stopGraceMs: number;
  /** Between samples of memory (the limit is enforced per sample). */
  usageIntervalMs: number;
  diskIntervalMs: number;
};

const defaultTimings: TaskRunnerTimings = { stopGraceMs: 10_000, usageIntervalMs: 1_000, diskIntervalMs: 10_000 };

/** CF's failure reason of a cancelled task. */
export const cancelledReason = 'task was cancelled';

type Task = {
  spec: TaskWorkload;
  status: TaskRunStatus;
  dir: string;
  group?: ProcessGroup;
  cancelled: boolean;
  oom: boolean;
  booting: Promise<void>;
  /** Resolves once the task has ended and its working copy is gone. */
  finished: Promise<void>;
  finish: () => void;
};

/**
 * Runs tasks as local child processes, each at most once (keyed by its GUID): `/bin/sh -c` runs the
 * command in a working copy of the droplet under `<root>/tasks/<taskGuid>/`, as the leader of its own
 * process group, with the environment rules of instances (no port). Output goes to the log sink as
 * `APP/TASK/<name>`, instance 0 (as CF tags task output); the status is RUNNING, then SUCCEEDED (exit
 * 0) or FAILED with CF's reason.
 */
export class TaskRunner {
  readonly #launcher: WorkloadLauncher;
  readonly #timings: TaskRunnerTimings;
  readonly #tasks = new Map<string, Task>();
  readonly #listeners = new Set<(taskGuid: string) => void>();
  #closed = false;

  constructor(options: WorkloadPlace & { timings?: Partial<TaskRunnerTimings> }) {
    this.#timings = { ...defaultTimings, ...options.timings };
    this.#launcher = new WorkloadLauncher({ ...options, ...this.#timings });
  }

  async run(spec: TaskWorkload): Promise<void> {
    if (this.#tasks.has(spec.taskGuid) || this.#closed) return;
    let finish = (): void => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const task: Task = {
      spec,
      status: { state: 'RUNNING', since: new Date() },
      dir: join(this.#launcher.root, 'tasks', spec.taskGuid),
      cancelled: false,
      oom: false,
      booting: Promise.resolve(),
      finished,
      finish,
    };
    this.#tasks.set(spec.taskGuid, task);
    this.#changed(spec.taskGuid);
    task.booting = this.#boot(task).catch((error: unknown) => {
      const reason = task.cancelled ? cancelledReason : `Failed to start task: ${error instanceof Error ? error.message : String(error)}`;
      this.#cell(task, reason, 'stderr');
      void this.#end(task, { state: 'FAILED', since: new Date(), reason, canceled: task.cancelled });
    });
  }

  /** SIGTERM to the task's group, SIGKILL after the grace period; the task FAILS with `task was cancelled`. */
  async cancel(taskGuid: string): Promise<void> {
    const task = this.#tasks.get(taskGuid);
    if (task === undefined || task.status.state !== 'RUNNING') return;
    task.cancelled = true;
    await task.booting;
    if (task.group !== undefined) await task.group.stop(this.#timings.stopGraceMs);
    await task.finished;
  }

  async status(taskGuid: string): Promise<TaskRunStatus | undefined> {
    return this.#tasks.get(taskGuid)?.status;
  }

  /** Forgets a task (a running one is stopped first). */
  async remove(taskGuid: string): Promise<void> {
    await this.cancel(taskGuid);
    this.#tasks.delete(taskGuid);
  }

  onChange(listener: (taskGuid: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every running task. They are not reported as cancelled: the server stops, the tasks are not. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    await Promise.all([...this.#tasks.keys()].map((guid) => this.cancel(guid)));
    this.#tasks.clear();
    this.#launcher.sampler.close();
  }

  async #boot(task: Task): Promise<void> {
    const { spec } = task;
    const guid = randomUUID();
    this.#cell(task, `Creating container for task ${spec.taskGuid}`);
    const copy = await this.#launcher.prepare(spec.droplet.image, task.dir);
    if (task.cancelled) throw new Error(cancelledReason);
    const { group, unwatch } = await this.#launcher.start({
      appGuid: spec.appGuid,
      copy,
      command: spec.command,
      environment: spec.environment,
      memoryMB: spec.memoryMB,
      instance: { index: 0, guid },
      source: { sourceType: `APP/TASK/${spec.name}`, instance: '0' },
      recordAs: `task ${spec.taskGuid}`,
      onOutOfMemory: () => (task.oom = true),
    });
    task.group = group;
    void group.exited.then(async (exit) => {
      unwatch();
      await this.#end(task, this.#outcome(task, exit));
    });
  }

  /** CF's outcome of an exit: SUCCEEDED on 0, else FAILED with `APP/TASK/<name>: Exited with status N`. */
  #outcome(task: Task, exit: LeaderExit): TaskRunStatus {
    const status = exitStatus(exit);
    const oom = task.oom ? ' (out of memory)' : '';
    this.#launcher.logs.write({
      appGuid: task.spec.appGuid,
      sourceType: `APP/TASK/${task.spec.name}`,
      instance: '0',
      text: `Exit status ${status}${oom}`,
      stream: 'stdout',
      timestamp: new Date(),
    });
    const since = new Date();
    if (task.cancelled) return { state: 'FAILED', since, reason: cancelledReason, canceled: true };
    if (status === 0 && !task.oom) return { state: 'SUCCEEDED', since };
    return { state: 'FAILED', since, reason: `APP/TASK/${task.spec.name}: Exited with status ${status}${oom}`, canceled: false };
  }

  /** The task ended: what is left of its group is killed, its working copy removed, then its state told. */
  async #end(task: Task, status: TaskRunStatus): Promise<void> {
    if (task.group !== undefined) {
      await task.group.kill();
      this.#launcher.records.forget(task.group.pgid);
    }
    await rm(task.dir, { recursive: true, force: true });
    task.status = status;
    this.#changed(task.spec.taskGuid);
    task.finish();
  }

  #cell(task: Task, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.#launcher.logs.write({ appGuid: task.spec.appGuid, sourceType: 'CELL', instance: '0', text, stream, timestamp: new Date() });
  }

  #changed(taskGuid: string): void {
    for (const listener of this.#listeners) listener(taskGuid);
  }
}
