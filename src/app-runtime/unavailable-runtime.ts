import {
  StagingFailed,
  type AppRuntime,
  type BuilderDescription,
  type InstanceStatus,
  type StagedDroplet,
  type TaskRunStatus,
} from './app-runtime.ts';

const explanation = 'This server has no app runtime (appRuntime: none), so it cannot stage or run apps.';

/**
 * The runtime of a server without one: stagings fail with a message that says why, and nothing
 * runs (every process reports no instances, tasks are never started). What the user sees is a FAILED
 * build with that message instead of a build that stays STAGING forever.
 */
export class UnavailableRuntime implements AppRuntime {
  readonly description = 'none (builds fail: set appRuntime to run apps)';
  /** Nothing to stage with. */
  readonly builder: BuilderDescription = { buildpacks: [], stacks: [] };

  async stage(): Promise<StagedDroplet> {
    throw new StagingFailed(explanation);
  }
  async removeDroplet(): Promise<void> {}
  async applyProcess(): Promise<void> {}
  async removeProcess(): Promise<void> {}
  async processInstances(): Promise<InstanceStatus[]> {
    return [];
  }
  async restartInstance(): Promise<boolean> {
    return false;
  }
  async runTask(): Promise<void> {}
  async cancelTask(): Promise<void> {}
  async taskStatus(): Promise<TaskRunStatus | undefined> {
    return { state: 'FAILED', since: new Date(0), reason: explanation, canceled: false };
  }
  async removeTask(): Promise<void> {}
  onChange(): () => void {
    return () => undefined;
  }
  async close(): Promise<void> {}
}
