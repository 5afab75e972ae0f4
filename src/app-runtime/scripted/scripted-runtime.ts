import { setTimeout as sleep } from 'node:timers/promises';
import type { AppLogSink } from '../app-logs.ts';
import {
  StagingFailed,
  type AppRuntime,
  type BuilderDescription,
  type InstanceState,
  type InstanceStatus,
  type ProcessWorkload,
  type RuntimeChange,
  type StagedDroplet,
  type StagingRequest,
  type TaskRunStatus,
  type TaskWorkload,
} from '../app-runtime.ts';
import { scriptedOutcomes } from './scripted-outcomes.ts';

type Instance = { state: InstanceState; since: Date; timer?: NodeJS.Timeout };
type RunningProcess = { spec: ProcessWorkload; fingerprint: string; instances: Instance[] };
type RunningTask = { status: TaskRunStatus; timer?: NodeJS.Timeout };

/**
 * A runtime that runs nothing and does what the app's environment scripts (scripted-outcomes.ts):
 * stagings that succeed, fail or take their time, instances that start, start slowly or crash, tasks
 * that succeed, fail or hang. For tests of the reconcilers and the API on both backends, and for the
 * e2e suite, which selects it with `appRuntime: scripted`. It keeps what it "runs" in memory only.
 */
export class ScriptedRuntime implements AppRuntime {
  readonly description = 'scripted (runs nothing; outcomes come from SCRIPTED_* app environment variables)';
  /** One buildpack that "detects" every app, on Korifi's default stack and its successor. */
  readonly builder: BuilderDescription = {
    buildpacks: [
      { name: 'scripted_buildpack', version: '1.0.0', stack: 'cflinuxfs3' },
      { name: 'scripted_buildpack', version: '1.0.0', stack: 'cflinuxfs4' },
    ],
    stacks: [
      { name: 'cflinuxfs3', description: 'Scripted stack (Korifi default)' },
      { name: 'cflinuxfs4', description: 'Scripted stack' },
    ],
  };
  readonly #logs: AppLogSink;
  readonly #processes = new Map<string, RunningProcess>();
  readonly #tasks = new Map<string, RunningTask>();
  readonly #listeners = new Set<(change: RuntimeChange) => void>();
  readonly #stagings = new Set<AbortController>();

  constructor(logs: AppLogSink) {
    this.#logs = logs;
  }

  async stage(request: StagingRequest, signal: AbortSignal): Promise<StagedDroplet> {
    const outcome = scriptedOutcomes(request.environment);
    this.#log(
      request.appGuid,
      { sourceType: 'STG', instance: '0' },
      `Scripted staging of build ${request.buildGuid} (${request.source.type})`,
    );
    if (outcome.staging.delayMs > 0) {
      // A slow staging also ends when the runtime closes (the server stops), as an abort.
      const closing = new AbortController();
      this.#stagings.add(closing);
      try {
        await sleep(outcome.staging.delayMs, undefined, { signal: AbortSignal.any([signal, closing.signal]) });
      } finally {
        this.#stagings.delete(closing);
      }
    }
    signal.throwIfAborted();
    if (request.source.type === 'bits') (await request.source.open()).resume();
    if (outcome.staging.failWith !== undefined) {
      this.#log(request.appGuid, { sourceType: 'STG', instance: '0' }, `Staging failed: ${outcome.staging.failWith}`, 'stderr');
      throw new StagingFailed(outcome.staging.failWith);
    }
    this.#log(request.appGuid, { sourceType: 'STG', instance: '0' }, 'Staging complete');
    return {
      processTypes: outcome.processTypes,
      ports: [8080],
      stack: request.stack,
      buildpack: request.buildpacks[0] ?? 'scripted_buildpack',
      image: request.source.type === 'docker' ? request.source.image : `scripted://droplets/${request.buildGuid}`,
    };
  }

  /** Its droplets are names only: nothing to remove. */
  async removeDroplet(): Promise<void> {}

  async applyProcess(spec: ProcessWorkload): Promise<void> {
    const fingerprint = JSON.stringify([spec.droplet, spec.command, spec.environment, spec.revision, spec.memoryMB, spec.diskMB]);
    const running = this.#processes.get(spec.processGuid) ?? { spec, fingerprint, instances: [] };
    if (running.fingerprint !== fingerprint) {
      for (const instance of running.instances) clearTimeout(instance.timer);
      running.instances = [];
    }
    running.spec = spec;
    running.fingerprint = fingerprint;
    this.#processes.set(spec.processGuid, running);
    while (running.instances.length > spec.instances) clearTimeout(running.instances.pop()?.timer);
    while (running.instances.length < spec.instances) running.instances.push(this.#startInstance(running, running.instances.length));
    this.#changed({ kind: 'process', guid: spec.processGuid });
  }

  async removeProcess(processGuid: string): Promise<void> {
    const running = this.#processes.get(processGuid);
    if (running === undefined) return;
    for (const instance of running.instances) clearTimeout(instance.timer);
    this.#processes.delete(processGuid);
    this.#changed({ kind: 'process', guid: processGuid });
  }

  async processInstances(processGuid: string): Promise<InstanceStatus[]> {
    const running = this.#processes.get(processGuid);
    if (running === undefined) return [];
    const usage = { cpu: 0.01, memoryBytes: 32 * 1024 * 1024, diskBytes: 64 * 1024 * 1024 };
    return running.instances.map((instance, index) => ({
      index,
      state: instance.state,
      since: instance.since,
      ...(instance.state === 'RUNNING' ? { usage } : {}),
    }));
  }

  async restartInstance(processGuid: string, index: number): Promise<boolean> {
    const running = this.#processes.get(processGuid);
    const instance = running?.instances[index];
    if (running === undefined || instance === undefined) return false;
    clearTimeout(instance.timer);
    running.instances[index] = this.#startInstance(running, index);
    this.#changed({ kind: 'process', guid: processGuid });
    return true;
  }

  async runTask(spec: TaskWorkload): Promise<void> {
    if (this.#tasks.has(spec.taskGuid)) return;
    const outcome = scriptedOutcomes(spec.environment).task;
    const task: RunningTask = { status: { state: 'RUNNING', since: new Date() } };
    this.#tasks.set(spec.taskGuid, task);
    this.#log(spec.appGuid, { sourceType: `APP/TASK/${spec.name}`, instance: '0' }, `Running task: ${spec.command}`);
    if (!outcome.hang) {
      task.timer = setTimeout(() => {
        task.status =
          outcome.failWith === undefined
            ? { state: 'SUCCEEDED', since: new Date() }
            : { state: 'FAILED', since: new Date(), reason: outcome.failWith, canceled: false };
        this.#log(spec.appGuid, { sourceType: `APP/TASK/${spec.name}`, instance: '0' }, `Task ended: ${task.status.state}`);
        this.#changed({ kind: 'task', guid: spec.taskGuid });
      }, outcome.runMs);
      task.timer.unref();
    }
    this.#changed({ kind: 'task', guid: spec.taskGuid });
  }

  async cancelTask(taskGuid: string): Promise<void> {
    const task = this.#tasks.get(taskGuid);
    if (task === undefined || task.status.state !== 'RUNNING') return;
    clearTimeout(task.timer);
    task.status = { state: 'FAILED', since: new Date(), reason: 'task was cancelled', canceled: true };
    this.#changed({ kind: 'task', guid: taskGuid });
  }

  async taskStatus(taskGuid: string): Promise<TaskRunStatus | undefined> {
    return this.#tasks.get(taskGuid)?.status;
  }

  async removeTask(taskGuid: string): Promise<void> {
    clearTimeout(this.#tasks.get(taskGuid)?.timer);
    this.#tasks.delete(taskGuid);
  }

  onChange(listener: (change: RuntimeChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const staging of this.#stagings) staging.abort();
    for (const running of this.#processes.values()) for (const instance of running.instances) clearTimeout(instance.timer);
    for (const task of this.#tasks.values()) clearTimeout(task.timer);
    this.#processes.clear();
    this.#tasks.clear();
    this.#listeners.clear();
  }

  /** An instance as the script has it start: at once, after a while, or crashing. */
  #startInstance(running: RunningProcess, index: number): Instance {
    const outcome = scriptedOutcomes(running.spec.environment).instances;
    const { spec } = running;
    const source = `APP/PROC/${spec.processType.toUpperCase()}`;
    this.#log(spec.appGuid, { sourceType: source, instance: String(index) }, `Starting instance ${index}: ${spec.command}`);
    if (!outcome.crash && outcome.startingMs === 0) return { state: 'RUNNING', since: new Date() };
    const instance: Instance = { state: 'STARTING', since: new Date() };
    instance.timer = setTimeout(() => {
      instance.state = outcome.crash ? 'CRASHED' : 'RUNNING';
      instance.since = new Date();
      if (outcome.crash) this.#log(spec.appGuid, { sourceType: source, instance: String(index) }, `Instance ${index} crashed`, 'stderr');
      this.#changed({ kind: 'process', guid: spec.processGuid });
    }, outcome.startingMs);
    instance.timer.unref();
    return instance;
  }

  #log(appGuid: string, from: { sourceType: string; instance: string }, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.#logs.write({ appGuid, ...from, text, stream, timestamp: new Date() });
  }

  #changed(change: RuntimeChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
