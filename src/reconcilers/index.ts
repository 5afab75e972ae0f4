import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BitsStore } from '../bits/bits-store.ts';
import type { Config } from '../config/schema.ts';
import type { AppRuntime } from '../app-runtime/app-runtime.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store } from '../store/port.ts';
import { LeaderElection } from './leader-election.ts';
import { TenancyController } from './tenancy-controller.ts';
import { startWorkloadReconcilers } from './workloads/index.ts';

export type TenancyReconcilerOptions = {
  /** Where CFOrgs live. */
  rootNamespace: string;
  logger: Logger;
  /** How often every org and space is reconciled again whatever happened; default 5 minutes. */
  resyncIntervalMs?: number;
  /** Where the work queues report their depth and failures (`cfapi_reconciler_queue_depth`, ...). */
  metrics?: Metrics;
};

export type RunningReconcilers = {
  /** Ends the watches and waits for the reconciles in flight. */
  stop(): Promise<void>;
};

/** The reconcilers as a server runs them: reconciling here (`leader`), or waiting while another replica leads. */
export type LeadingReconcilers = RunningReconcilers & { role(): 'leader' | 'follower' };

const defaultResyncIntervalMs = 5 * 60_000;
const concurrentReconciles = 4;

/**
 * Starts what Korifi's CFOrg and CFSpace controllers do, in this process, as the server
 * (`store.privileged()`): namespaces, RoleBinding propagation, Ready status and deletion. Resolves
 * once the first lists are done and the watches run.
 */
export async function startTenancyReconcilers(store: Store, options: TenancyReconcilerOptions): Promise<RunningReconcilers> {
  const controller = new TenancyController(store.privileged(), {
    rootNamespace: options.rootNamespace,
    logger: options.logger,
    resyncIntervalMs: options.resyncIntervalMs ?? defaultResyncIntervalMs,
    concurrency: concurrentReconciles,
    ...(options.metrics ? { metrics: options.metrics.reconciler('tenancy') } : {}),
  });
  await controller.start();
  return { stop: () => controller.stop() };
}

export type ReconcilerOptions = TenancyReconcilerOptions & {
  /** What stages and runs apps for the package, build, app, process and task controllers. */
  runtime: AppRuntime;
  bits?: BitsStore;
  config: Config;
};

/**
 * Every reconciler this server runs where Korifi's controllers are absent: the org/space ones and the
 * app-workload ones (packages, builds, apps, processes, tasks).
 */
export async function startAllReconcilers(store: Store, options: ReconcilerOptions): Promise<LeadingReconcilers> {
  const tenancy = await startTenancyReconcilers(store, options);
  try {
    const workloads = await startWorkloadReconcilers(
      {
        session: store.privileged(),
        runtime: options.runtime,
        ...(options.bits ? { bits: options.bits } : {}),
        logger: options.logger,
        config: options.config,
      },
      options.metrics ? { metrics: options.metrics } : {},
    );
    return {
      stop: async () => {
        await Promise.all([workloads.stop(), tenancy.stop()]);
      },
      // One process with every reconciler (the embedded store's single server) always leads.
      role: () => 'leader',
    };
  } catch (error) {
    await tenancy.stop();
    throw error;
  }
}

/** The Lease the replicas of one platform (one root namespace) elect their reconciling leader with. */
export const reconcilerLeaseName = 'cfapi-tenancy-reconcilers';

/**
 * The reconcilers on a cluster served by several replicas: each replica takes part in a leader
 * election and only the leader reconciles. Resolves after the first attempt, so a replica that finds the
 * lease free is reconciling when this resolves.
 */
export async function startElectedReconcilers(store: Store, options: ReconcilerOptions): Promise<LeadingReconcilers> {
  const election = new LeaderElection(
    store.privileged(),
    {
      lease: { namespace: options.rootNamespace, name: reconcilerLeaseName },
      identity: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryIntervalMs: 2_000,
      logger: options.logger,
    },
    { start: () => startAllReconcilers(store, options) },
  );
  await election.start();
  return { stop: () => election.stop(), role: () => (election.isLeader ? 'leader' : 'follower') };
}
