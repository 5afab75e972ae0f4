import type { Readable } from 'node:stream';

/**
 * The runtime port: what needs a machine to stage and run apps. The workload reconcilers
 * (src/reconcilers/workloads/) are its only callers, and they talk to it declaratively, as Korifi's
 * controllers talk to kpack and StatefulSets: "this process should run N instances of this droplet",
 * never "start one more". Every call is idempotent and keyed by the CF object's GUID, so a reconcile
 * that runs twice, or after a server restart, does no harm. An adapter keeps no state the store does
 * not also hold; what it cannot answer after a restart it reports as not there: the reconcilers ask
 * again for a process's instances, and fail a task that had started (tasks run at most once, as in CF).
 *
 * Adapters: `scripted` (outcomes chosen by the app's environment, for tests) and `none` (no machine:
 * staging fails with a clear message). The local runtime of a later issue plugs in here.
 */
export interface AppRuntime {
  /** A line that says what this adapter is, for the start-up banner. */
  readonly description: string;
  /**
   * The buildpacks and stacks this runtime stages with, as `/v3/buildpacks` and `/v3/stacks` list them
   * (the build controller keeps them in the root namespace's BuilderInfo, as Korifi's builder does).
   */
  readonly builder: BuilderDescription;
  /**
   * Builds a droplet from a package. Resolves with what the droplet runs, or rejects with a
   * `StagingFailed` whose message the build shows as its error. Aborting `signal` stops the staging;
   * a staging stopped that way, or by `close`, rejects with an `AbortError` (no fault of the app's).
   */
  stage(request: StagingRequest, signal: AbortSignal): Promise<StagedDroplet>;
  /** Forgets the droplet a build staged, once the build is gone; unknown builds are not an error. */
  removeDroplet(buildGuid: string): Promise<void>;
  /**
   * Makes the process run exactly `spec.instances` instances of `spec` (0 stops them all). Instances
   * whose droplet, command, environment or revision differ from `spec` are replaced; the others keep
   * running. Resolves once the change is under way, not when instances are up: `processInstances`
   * and `onChange` tell how they fare.
   */
  applyProcess(spec: ProcessWorkload): Promise<void>;
  /** Stops every instance of the process and forgets it; unknown GUIDs are not an error. */
  removeProcess(processGuid: string): Promise<void>;
  /** The instances the process runs now, by index; an unknown process has none. */
  processInstances(processGuid: string): Promise<InstanceStatus[]>;
  /** Stops one instance so that it starts again; false when the process has no instance of that index. */
  restartInstance(processGuid: string, index: number): Promise<boolean>;
  /** Starts the task unless it runs or ran already (keyed by its GUID). */
  runTask(spec: TaskWorkload): Promise<void>;
  /** Stops the task if it runs; its state becomes FAILED with reason `canceled`. */
  cancelTask(taskGuid: string): Promise<void>;
  /** How the task fares, or undefined when this runtime does not know it (never started, or forgotten on a restart). */
  taskStatus(taskGuid: string): Promise<TaskRunStatus | undefined>;
  /** Forgets a finished task (its object is gone). */
  removeTask(taskGuid: string): Promise<void>;
  /** Calls `listener` whenever an instance or a task changes state; returns what unsubscribes it. */
  onChange(listener: (change: RuntimeChange) => void): () => void;
  /** Stops everything it runs. */
  close(): Promise<void>;
}

/** What a runtime stages with: buildpacks in detection order, and the stacks they run on. */
export type BuilderDescription = {
  buildpacks: readonly { name: string; version: string; stack: string }[];
  stacks: readonly { name: string; description: string }[];
};

/** The user-visible failure of a staging: its message becomes the build's `error`. */
export class StagingFailed extends Error {
  override readonly name = 'StagingFailed';
}

/** What the app's code is: a bits package (a zip) or a docker image. */
export type PackageSource = { type: 'bits'; open(): Promise<Readable> } | { type: 'docker'; image: string };

export type StagingRequest = {
  buildGuid: string;
  appGuid: string;
  spaceGuid: string;
  source: PackageSource;
  /** Buildpacks the user asked for, in order; empty means detect. */
  buildpacks: readonly string[];
  stack: string;
  /** The app's environment, as the staging process sees it. */
  environment: Readonly<Record<string, string>>;
  memoryMB: number;
  diskMB: number;
};

/** A droplet as the build records it (`CFBuild.status.droplet`). */
export type StagedDroplet = {
  /** Process type → start command, e.g. `web` → `node server.js`. */
  processTypes: Readonly<Record<string, string>>;
  /** Ports the app listens on (empty: the default, 8080). */
  ports: readonly number[];
  stack: string;
  /** The buildpack that built it (`detected`), for the droplet's `buildpacks` field. */
  buildpack?: string;
  /**
   * Where the droplet is, in the runtime's own terms (an image reference, a directory); for a docker
   * source, the image itself.
   */
  image: string;
};

export type HealthCheckSpec = {
  type: 'http' | 'port' | 'process';
  endpoint?: string;
  timeoutSeconds?: number;
  invocationTimeoutSeconds?: number;
};

export type ProcessWorkload = {
  processGuid: string;
  appGuid: string;
  spaceGuid: string;
  processType: string;
  /** The droplet's image (`StagedDroplet.image`) and GUID. */
  droplet: { guid: string; image: string };
  command: string;
  instances: number;
  memoryMB: number;
  diskMB: number;
  healthCheck: HealthCheckSpec;
  ports: readonly number[];
  environment: Readonly<Record<string, string>>;
  /** The app's revision (`app-rev`): a new one restarts every instance, as `cf restart` does. */
  revision: string;
};

export type InstanceState = 'STARTING' | 'RUNNING' | 'CRASHED' | 'DOWN';

export type InstanceStatus = {
  index: number;
  state: InstanceState;
  /** When it entered this state. */
  since: Date;
  /** Resource usage now, where the runtime measures it. */
  usage?: { cpu: number; memoryBytes: number; diskBytes: number };
};

export type TaskWorkload = {
  taskGuid: string;
  /** The task's name: its output is logged as `APP/TASK/<name>`, as CF does. */
  name: string;
  appGuid: string;
  spaceGuid: string;
  command: string;
  droplet: { guid: string; image: string };
  memoryMB: number;
  diskMB: number;
  environment: Readonly<Record<string, string>>;
};

export type TaskRunStatus =
  | { state: 'RUNNING'; since: Date }
  | { state: 'SUCCEEDED'; since: Date }
  | { state: 'FAILED'; since: Date; reason: string; canceled: boolean };

export type RuntimeChange = { kind: 'process'; guid: string } | { kind: 'task'; guid: string };
