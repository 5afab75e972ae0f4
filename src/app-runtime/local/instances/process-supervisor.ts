import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { InstanceState, InstanceStatus, ProcessWorkload } from '../../app-runtime.ts';
import { diegoCrashBackoff, nextCrashCount, restartDelayMs, type CrashBackoff } from './crash-backoff.ts';
import { checkHealth, defaultStartTimeoutSeconds } from './health-check.ts';
import { exitStatus, ProcessGroup, type LeaderExit } from './process-group.ts';
import { WorkloadLauncher, type WorkloadPlace } from './workload-launcher.ts';
import { freePort } from './workload-environment.ts';

/** The supervisor's times, Diego's by default; tests make them short. */
export type SupervisorTimings = {
  /** Between tries of the start health check (Diego: about 0.5 s). */
  healthCheckIntervalMs: number;
  /** Between liveness checks of a RUNNING instance's port or http check (Diego: 30 s). */
  livenessIntervalMs: number;
  /** From SIGTERM to SIGKILL when an instance stops (CF: 10 s). */
  stopGraceMs: number;
  /** Between samples of CPU and memory (memory limits are enforced per sample). */
  usageIntervalMs: number;
  /** Between measures of a working copy's bytes. */
  diskIntervalMs: number;
  backoff: CrashBackoff;
};

export const defaultTimings: SupervisorTimings = {
  healthCheckIntervalMs: 500,
  livenessIntervalMs: 30_000,
  stopGraceMs: 10_000,
  usageIntervalMs: 1_000,
  diskIntervalMs: 10_000,
  backoff: diegoCrashBackoff,
};

/** One start of an instance: a working copy, a port, a process group. A crash or a stop ends it. */
type Run = {
  guid: string;
  dir: string;
  port?: number;
  group?: ProcessGroup;
  /** Set when the supervisor stops it: its exit is then no crash. */
  stopping: boolean;
  /** Set once the leader exited or the start failed. */
  ended: boolean;
  oom: boolean;
  /** Why the supervisor killed it (a failed health check), for the crash's reason. */
  crashReason?: string;
  timer?: NodeJS.Timeout;
  unwatch?: () => void;
  booting?: Promise<void>;
};

/** One instance index of one generation of the process (its spec's fingerprint); it outlives crashes. */
type Instance = {
  processGuid: string;
  index: number;
  spec: ProcessWorkload;
  fingerprint: string;
  state: Exclude<InstanceState, 'DOWN'>;
  since: Date;
  crashCount: number;
  run?: Run;
  restartTimer?: NodeJS.Timeout;
  retired: boolean;
};

/** An index: the instance that should run there and, during a rolling replacement, the one it replaces. */
type Slot = { current: Instance; previous?: Instance | undefined };
type Supervised = { spec: ProcessWorkload; fingerprint: string; slots: Map<number, Slot> };

/** What makes two instances different: any change here replaces the instance. */
function fingerprintOf(spec: ProcessWorkload): string {
  const environment = Object.entries(spec.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([spec.droplet, spec.command, environment, spec.revision, spec.memoryMB, spec.diskMB, spec.healthCheck]);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/**
 * Runs the instances of processes as local child processes, as Diego runs them in containers: each in a
 * working copy of its droplet under `<root>/instances/<processGuid>/<index>-<n>/`, as the leader of its
 * own process group, with its own port; health-checked, restarted with Diego's backoff when it crashes,
 * replaced rolling when its spec changes, stopped with SIGTERM then SIGKILL. Apps run as the server's
 * user: the process group and the working copy are all that separate them.
 */
export class ProcessSupervisor {
  readonly #launcher: WorkloadLauncher;
  readonly #timings: SupervisorTimings;
  readonly #processes = new Map<string, Supervised>();
  readonly #listeners = new Set<(processGuid: string) => void>();
  /** Stops and clean-ups under way, for close() to wait on. */
  readonly #pending = new Set<Promise<void>>();
  #starts = 0;
  #closed = false;

  constructor(options: WorkloadPlace & { timings?: Partial<SupervisorTimings> }) {
    this.#timings = { ...defaultTimings, ...options.timings };
    this.#launcher = new WorkloadLauncher({ ...options, ...this.#timings });
  }

  /**
   * Ends the process groups a previous server left behind (instances' and tasks': both record theirs
   * under `<root>/pids`) and removes its working copies. Call once, before anything else runs.
   */
  async cleanUpStale(): Promise<void> {
    await this.#launcher.records.endRecorded(this.#timings.stopGraceMs);
    await rm(join(this.#launcher.root, 'instances'), { recursive: true, force: true });
    await rm(join(this.#launcher.root, 'tasks'), { recursive: true, force: true });
  }

  async apply(spec: ProcessWorkload): Promise<void> {
    if (this.#closed) return;
    const fingerprint = fingerprintOf(spec);
    const supervised = this.#processes.get(spec.processGuid) ?? { spec, fingerprint, slots: new Map<number, Slot>() };
    this.#processes.set(spec.processGuid, supervised);
    supervised.spec = spec;
    supervised.fingerprint = fingerprint;
    for (const [index, slot] of supervised.slots) {
      if (index < spec.instances) continue;
      supervised.slots.delete(index);
      void this.#retireSlot(slot);
    }
    for (let index = 0; index < spec.instances; index++) {
      const slot = supervised.slots.get(index);
      if (slot === undefined) supervised.slots.set(index, { current: this.#startInstance(spec, index, fingerprint) });
      else if (slot.current.fingerprint !== fingerprint) this.#replace(slot, spec, fingerprint);
      else slot.current.spec = spec;
    }
    this.#changed(spec.processGuid);
  }

  async remove(processGuid: string): Promise<void> {
    const supervised = this.#processes.get(processGuid);
    if (supervised === undefined) return;
    this.#processes.delete(processGuid);
    const stops = [...supervised.slots.values()].map((slot) => this.#retireSlot(slot));
    this.#changed(processGuid);
    await Promise.all(stops);
    await rm(join(this.#launcher.root, 'instances', processGuid), { recursive: true, force: true });
  }

  async instances(processGuid: string): Promise<InstanceStatus[]> {
    const supervised = this.#processes.get(processGuid);
    if (supervised === undefined) return [];
    return [...supervised.slots.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, { current }]) => {
        const group = current.run?.ended === false ? current.run.group : undefined;
        const usage = group === undefined ? undefined : this.#launcher.sampler.usage(group.pgid);
        return { index, state: current.state, since: current.since, ...(usage === undefined ? {} : { usage }) };
      });
  }

  async restartInstance(processGuid: string, index: number): Promise<boolean> {
    const supervised = this.#processes.get(processGuid);
    const slot = supervised?.slots.get(index);
    if (supervised === undefined || slot === undefined) return false;
    void this.#retireSlot(slot);
    supervised.slots.set(index, { current: this.#startInstance(supervised.spec, index, supervised.fingerprint) });
    this.#changed(processGuid);
    return true;
  }

  endpoints(appGuid: string, processType: string): readonly { index: number; host: string; port: number }[] {
    const endpoints: { index: number; host: string; port: number }[] = [];
    for (const { spec, slots } of this.#processes.values()) {
      if (spec.appGuid !== appGuid || spec.processType !== processType) continue;
      const instances = [...slots.values()].flatMap((slot) =>
        slot.previous === undefined ? [slot.current] : [slot.previous, slot.current],
      );
      for (const instance of instances) {
        const port = instance.state === 'RUNNING' ? instance.run?.port : undefined;
        if (port !== undefined) endpoints.push({ index: instance.index, host: this.#launcher.host, port });
      }
    }
    return endpoints;
  }

  onChange(listener: (processGuid: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    // A server that stops is no news for the reconcilers: what stops now is not reported.
    this.#listeners.clear();
    for (const supervised of this.#processes.values()) for (const slot of supervised.slots.values()) void this.#retireSlot(slot);
    this.#processes.clear();
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
    this.#launcher.sampler.close();
  }

  // --- instances ---------------------------------------------------------------------------------

  #startInstance(spec: ProcessWorkload, index: number, fingerprint: string): Instance {
    const instance: Instance = {
      processGuid: spec.processGuid,
      index,
      spec,
      fingerprint,
      state: 'STARTING',
      since: new Date(),
      crashCount: 0,
      retired: false,
    };
    this.#launch(instance);
    return instance;
  }

  /** A new generation for this index. A RUNNING instance keeps serving until the new one settles. */
  #replace(slot: Slot, spec: ProcessWorkload, fingerprint: string): void {
    const old = slot.current;
    if (old.state === 'RUNNING' && slot.previous === undefined) slot.previous = old;
    else void this.#retire(old);
    slot.current = this.#startInstance(spec, old.index, fingerprint);
  }

  #retireSlot(slot: Slot): Promise<void> {
    const stops = [this.#retire(slot.current)];
    if (slot.previous !== undefined) stops.push(this.#retire(slot.previous));
    slot.previous = undefined;
    return Promise.all(stops).then(() => undefined);
  }

  /** Stops an instance for good (scaled down, replaced, removed). */
  #retire(instance: Instance): Promise<void> {
    instance.retired = true;
    clearTimeout(instance.restartTimer);
    const run = instance.run;
    return run === undefined ? Promise.resolve() : this.#track(this.#stopRun(instance, run));
  }

  #setState(instance: Instance, state: Instance['state']): void {
    instance.state = state;
    instance.since = new Date();
    const slot = this.#processes.get(instance.processGuid)?.slots.get(instance.index);
    // A new generation that settled (healthy, or crashed or timed out: never blocking) ends the old one.
    if (state !== 'STARTING' && slot?.current === instance && slot.previous !== undefined) {
      void this.#retire(slot.previous);
      slot.previous = undefined;
    }
    this.#changed(instance.processGuid);
  }

  // --- runs --------------------------------------------------------------------------------------

  #launch(instance: Instance): void {
    if (instance.retired || this.#closed) return;
    const guid = randomUUID();
    const dir = join(this.#launcher.root, 'instances', instance.processGuid, `${instance.index}-${++this.#starts}`);
    const run: Run = { guid, dir, stopping: false, ended: false, oom: false };
    instance.run = run;
    if (instance.state !== 'STARTING') this.#setState(instance, 'STARTING');
    run.booting = this.#track(
      this.#boot(instance, run).catch((error: unknown) => {
        if (run.stopping) return;
        run.ended = true;
        const reason = `Failed to start instance: ${error instanceof Error ? error.message : String(error)}`;
        this.#cell(instance, reason, 'stderr');
        void this.#track(rm(run.dir, { recursive: true, force: true }));
        this.#crashed(instance, run, reason);
      }),
    );
  }

  async #boot(instance: Instance, run: Run): Promise<void> {
    const { spec } = instance;
    this.#cell(instance, `Creating container for app ${spec.appGuid}, instance ${run.guid}`);
    const copy = await this.#launcher.prepare(spec.droplet.image, run.dir);
    const port = await this.#freePort();
    if (run.stopping) return;
    run.port = port;
    this.#cell(instance, `Successfully created container for instance ${run.guid}`);
    const { group, unwatch } = await this.#launcher.start({
      appGuid: spec.appGuid,
      copy,
      command: spec.command,
      environment: spec.environment,
      memoryMB: spec.memoryMB,
      instance: { index: instance.index, guid: run.guid, port },
      source: { sourceType: `APP/PROC/${spec.processType.toUpperCase()}`, instance: String(instance.index) },
      recordAs: `${spec.processGuid}/${instance.index}`,
      onOutOfMemory: () => (run.oom = true),
    });
    run.group = group;
    run.unwatch = unwatch;
    void group.exited.then((exit) => this.#exited(instance, run, exit));
    if (run.stopping) return;
    this.#cell(instance, 'Starting health monitoring of container');
    if (spec.healthCheck.type === 'process') this.#healthy(instance, run);
    else this.#checkUntilHealthy(instance, run, Date.now(), 1);
  }

  /** The start check, every `healthCheckIntervalMs` until it passes or the start timeout is over. */
  #checkUntilHealthy(instance: Instance, run: Run, startedAt: number, attempt: number): void {
    const check = instance.spec.healthCheck;
    const timeoutMs = (check.timeoutSeconds ?? defaultStartTimeoutSeconds) * 1000;
    void checkHealth(check, this.#launcher.host, run.port!).then((failure) => {
      if (run.ended || run.stopping) return;
      if (failure === undefined) return this.#healthy(instance, run);
      const elapsed = Date.now() - startedAt;
      if (elapsed < timeoutMs) {
        run.timer = setTimeout(() => this.#checkUntilHealthy(instance, run, startedAt, attempt + 1), this.#timings.healthCheckIntervalMs);
        run.timer.unref();
        return;
      }
      this.#log(
        instance,
        'HEALTH',
        `Timed out after ${seconds(timeoutMs)} (${attempt} attempts) waiting for startup check to succeed: ${failure}`,
        'stderr',
      );
      this.#cell(instance, `Failed after ${seconds(elapsed)}: startup health check never passed.`, 'stderr');
      run.crashReason = `Instance never healthy after ${seconds(timeoutMs)}: ${failure}`;
      run.group?.signal('SIGKILL');
    });
  }

  #healthy(instance: Instance, run: Run): void {
    this.#cell(instance, 'Container became healthy');
    this.#setState(instance, 'RUNNING');
    if (instance.spec.healthCheck.type !== 'process') this.#scheduleLiveness(instance, run);
  }

  /** After RUNNING, the port or http check keeps running: a failure crashes the instance. */
  #scheduleLiveness(instance: Instance, run: Run): void {
    run.timer = setTimeout(() => {
      void checkHealth(instance.spec.healthCheck, this.#launcher.host, run.port!).then((failure) => {
        if (run.ended || run.stopping) return;
        if (failure === undefined) return this.#scheduleLiveness(instance, run);
        this.#log(instance, 'HEALTH', failure, 'stderr');
        this.#cell(instance, 'Container became unhealthy', 'stderr');
        run.crashReason = `Instance became unhealthy: ${failure}`;
        run.group?.signal('SIGKILL');
      });
    }, this.#timings.livenessIntervalMs);
    run.timer.unref();
  }

  /** The leader exited: for a long-running process that is always a crash, unless the supervisor stopped it. */
  #exited(instance: Instance, run: Run, exit: LeaderExit): void {
    run.ended = true;
    clearTimeout(run.timer);
    const status = exitStatus(exit);
    const oom = run.oom ? ' (out of memory)' : '';
    this.#log(instance, `APP/PROC/${instance.spec.processType.toUpperCase()}`, `Exit status ${status}${oom}`);
    if (run.stopping) return;
    void this.#track(this.#cleanUp(run));
    const source = `APP/PROC/${instance.spec.processType.toUpperCase()}`;
    this.#crashed(instance, run, run.crashReason ?? `${source}: Exited with status ${status}${oom}`);
  }

  #crashed(instance: Instance, run: Run, reason: string): void {
    if (instance.run !== run || instance.retired) return;
    const runningFor = instance.state === 'RUNNING' ? Date.now() - instance.since.getTime() : undefined;
    instance.crashCount = nextCrashCount(instance.crashCount, runningFor, this.#timings.backoff);
    this.#cell(instance, `App instance exited with guid ${run.guid}: CRASHED (${reason}), crash count ${instance.crashCount}`, 'stderr');
    this.#setState(instance, 'CRASHED');
    const delay = restartDelayMs(instance.crashCount, this.#timings.backoff);
    if (delay === undefined) {
      this.#cell(instance, `Not restarting instance ${instance.index} again after ${instance.crashCount} crashes`, 'stderr');
    } else if (delay === 0) {
      this.#launch(instance);
    } else {
      this.#cell(instance, `Restarting instance ${instance.index} in ${seconds(delay)}`);
      instance.restartTimer = setTimeout(() => this.#launch(instance), delay);
      instance.restartTimer.unref();
    }
  }

  async #stopRun(instance: Instance, run: Run): Promise<void> {
    run.stopping = true;
    clearTimeout(run.timer);
    await run.booting;
    if (run.group !== undefined && !run.ended) {
      this.#cell(instance, `Stopping instance ${run.guid}`);
      const { killed } = await run.group.stop(this.#timings.stopGraceMs);
      if (killed) this.#cell(instance, `Instance ${run.guid} did not exit within ${seconds(this.#timings.stopGraceMs)} of SIGTERM: killed`);
    }
    await this.#cleanUp(run);
    this.#cell(instance, `Successfully destroyed container for instance ${run.guid}`);
  }

  /** What is left of a run: processes of its group that outlived the leader, its record, its working copy. */
  async #cleanUp(run: Run): Promise<void> {
    if (run.group !== undefined) {
      await run.group.kill();
      this.#launcher.records.forget(run.group.pgid);
    }
    run.unwatch?.();
    await rm(run.dir, { recursive: true, force: true });
  }

  /** A free port no other instance was given (one that has not bound its port yet would look free). */
  async #freePort(): Promise<number> {
    const given = new Set(
      [...this.#processes.values()]
        .flatMap(({ slots }) => [...slots.values()].flatMap((slot) => [slot.current, slot.previous]))
        .map((instance) => instance?.run?.port),
    );
    for (;;) {
      const port = await freePort(this.#launcher.host);
      if (!given.has(port)) return port;
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  #track<T>(promise: Promise<T>): Promise<T> {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
    return promise;
  }

  #cell(instance: Instance, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.#log(instance, 'CELL', text, stream);
  }

  #log(instance: Instance, sourceType: string, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.#launcher.logs.write({
      appGuid: instance.spec.appGuid,
      sourceType,
      instance: String(instance.index),
      text,
      stream,
      timestamp: new Date(),
    });
  }

  #changed(processGuid: string): void {
    for (const listener of this.#listeners) listener(processGuid);
  }
}
