import { join } from 'node:path';
import type { AppLogLine, AppLogSink } from '../../app-logs.ts';
import { GroupRecords } from './group-records.ts';
import { ProcessGroup } from './process-group.ts';
import { UsageSampler } from './usage-sampler.ts';
import { launchScript, prepareWorkingCopy, workloadEnvironment, type WorkingCopy } from './workload-environment.ts';

/** A command to start in a working copy, as an instance or a task. */
export type Launch = {
  appGuid: string;
  copy: WorkingCopy;
  command: string;
  environment: Readonly<Record<string, string>>;
  memoryMB: number;
  /** Who it is for Diego's variables (`CF_INSTANCE_*`); a port only for instances. */
  instance: { index: number; guid: string; port?: number };
  /** How its output is tagged in the app's log. */
  source: Pick<AppLogLine, 'sourceType' | 'instance'>;
  /** What the stale-group record says it was. */
  recordAs: string;
  /** Called once its group has been killed for going over its memory quota. */
  onOutOfMemory: () => void;
};

/** Where instances or tasks run: the runtime's directory, how a droplet is unpacked, where lines go, the host (127.0.0.1). */
export type WorkloadPlace = {
  root: string;
  unpackDroplet: (image: string, dir: string) => Promise<void>;
  logs: AppLogSink;
  host?: string | undefined;
};

/**
 * What instances and tasks share: where they live (`root`), how a droplet becomes a working copy, where
 * their lines go, the host they run on, the records of the process groups they start (so a restarted
 * server ends what an earlier one left) and the sampler that reads their usage and kills a group over
 * its memory quota.
 */
export class WorkloadLauncher {
  readonly root: string;
  readonly host: string;
  readonly logs: AppLogSink;
  readonly records: GroupRecords;
  readonly sampler: UsageSampler;
  readonly #unpackDroplet: (image: string, dir: string) => Promise<void>;

  constructor(options: WorkloadPlace & { usageIntervalMs: number; diskIntervalMs: number }) {
    this.root = options.root;
    this.host = options.host ?? '127.0.0.1';
    this.logs = options.logs;
    this.#unpackDroplet = options.unpackDroplet;
    this.records = new GroupRecords(join(options.root, 'pids'));
    this.sampler = new UsageSampler({ intervalMs: options.usageIntervalMs, diskIntervalMs: options.diskIntervalMs });
  }

  /** A fresh working copy of the droplet in `dir`. */
  prepare(image: string, dir: string): Promise<WorkingCopy> {
    return prepareWorkingCopy(this.#unpackDroplet, image, dir);
  }

  /**
   * Starts the command in its working copy as the leader of a process group, with CF's environment and
   * the droplet's profile, its output in the app's log; records the group and watches its usage. Answers
   * the group and what stops watching it.
   */
  async start(launch: Launch): Promise<{ group: ProcessGroup; unwatch: () => void }> {
    const { copy, source } = launch;
    const env = workloadEnvironment({
      environment: launch.environment,
      copy,
      memoryMB: launch.memoryMB,
      instance: { ...launch.instance, host: this.host },
    });
    const group = await ProcessGroup.spawn({
      command: launchScript(launch.command),
      cwd: copy.appDir,
      env,
      onLine: (line) => this.logs.write({ appGuid: launch.appGuid, ...source, ...line, timestamp: new Date() }),
    });
    this.records.record(group.pgid, launch.recordAs);
    const unwatch = this.sampler.watch(group.pgid, {
      dir: copy.dir,
      limitBytes: launch.memoryMB > 0 ? launch.memoryMB * 1024 * 1024 : undefined,
      onOverLimit: () => {
        launch.onOutOfMemory();
        group.signal('SIGKILL');
      },
    });
    return { group, unwatch };
  }
}
