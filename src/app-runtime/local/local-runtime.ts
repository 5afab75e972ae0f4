import { join } from 'node:path';
import type { AppLogSink } from '../app-logs.ts';
import type {
  AppRuntime,
  BuilderDescription,
  InstanceStatus,
  ProcessWorkload,
  RuntimeChange,
  StagedDroplet,
  StagingRequest,
  TaskRunStatus,
  TaskWorkload,
} from '../app-runtime.ts';
import { ProcessSupervisor } from './instances/process-supervisor.ts';
import { LocalStager } from './staging/local-stager.ts';
import { TaskRunner } from './tasks/task-runner.ts';

/** Where a running instance can be reached, for the router. */
export type InstanceEndpoint = { index: number; host: string; port: number };

/**
 * The local runtime: apps staged by local buildpacks with the host's toolchains and run as child
 * processes of this server, each instance in its own process group and working copy of its droplet.
 * Everything it keeps is under `root` (droplet archives, working copies, the process groups it
 * started), so a restarted server finds and ends what an earlier one left running, and the
 * reconcilers start the apps again from the store.
 */
export class LocalRuntime implements AppRuntime {
  readonly description: string;
  readonly builder: BuilderDescription;
  readonly #stager: LocalStager;
  readonly #supervisor: ProcessSupervisor;
  readonly #tasks: TaskRunner;
  readonly #logs: AppLogSink;
  /** Aborted by close(): a staging still running then stops too (its build is staged again later). */
  readonly #closing = new AbortController();

  private constructor(parts: { root: string; stager: LocalStager; supervisor: ProcessSupervisor; tasks: TaskRunner; logs: AppLogSink }) {
    this.description = `local (buildpack apps run as processes of this server, under ${parts.root})`;
    this.builder = parts.stager.builder;
    this.#stager = parts.stager;
    this.#supervisor = parts.supervisor;
    this.#tasks = parts.tasks;
    this.#logs = parts.logs;
  }

  /** Opens the runtime kept under `root`, ending first what an earlier server left running there. */
  static async open(options: { root: string; logs: AppLogSink; host?: string }): Promise<LocalRuntime> {
    const { root, logs } = options;
    const stager = new LocalStager({ root });
    const unpackDroplet = (image: string, dir: string) => stager.unpackDroplet(image, dir);
    const supervisor = new ProcessSupervisor({ root, unpackDroplet, logs, ...(options.host ? { host: options.host } : {}) });
    await supervisor.cleanUpStale();
    const tasks = new TaskRunner({ root, unpackDroplet, logs });
    return new LocalRuntime({ root, stager, supervisor, tasks, logs });
  }

  stage(request: StagingRequest, signal: AbortSignal): Promise<StagedDroplet> {
    return this.#stager.stage(request, AbortSignal.any([signal, this.#closing.signal]), (line) =>
      this.#logs.write({
        appGuid: request.appGuid,
        sourceType: 'STG',
        instance: '0',
        text: line.text,
        stream: line.stream,
        timestamp: new Date(),
      }),
    );
  }

  removeDroplet(buildGuid: string): Promise<void> {
    return this.#stager.deleteDroplet(`local-droplet:${buildGuid}`);
  }

  applyProcess(spec: ProcessWorkload): Promise<void> {
    return this.#supervisor.apply(spec);
  }

  removeProcess(processGuid: string): Promise<void> {
    return this.#supervisor.remove(processGuid);
  }

  processInstances(processGuid: string): Promise<InstanceStatus[]> {
    return this.#supervisor.instances(processGuid);
  }

  restartInstance(processGuid: string, index: number): Promise<boolean> {
    return this.#supervisor.restartInstance(processGuid, index);
  }

  /** The RUNNING instances of the app's process of this type: where the router sends its requests. */
  endpoints(appGuid: string, processType: string): readonly InstanceEndpoint[] {
    return this.#supervisor.endpoints(appGuid, processType);
  }

  runTask(spec: TaskWorkload): Promise<void> {
    return this.#tasks.run(spec);
  }

  cancelTask(taskGuid: string): Promise<void> {
    return this.#tasks.cancel(taskGuid);
  }

  taskStatus(taskGuid: string): Promise<TaskRunStatus | undefined> {
    return this.#tasks.status(taskGuid);
  }

  removeTask(taskGuid: string): Promise<void> {
    return this.#tasks.remove(taskGuid);
  }

  onChange(listener: (change: RuntimeChange) => void): () => void {
    const offProcesses = this.#supervisor.onChange((guid) => listener({ kind: 'process', guid }));
    const offTasks = this.#tasks.onChange((guid) => listener({ kind: 'task', guid }));
    return () => {
      offProcesses();
      offTasks();
    };
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.all([this.#supervisor.close(), this.#tasks.close()]);
  }
}

/** The runtime's directory in a data directory. */
export const localRuntimeRoot = (dataDir: string): string => join(dataDir, 'local-runtime');
