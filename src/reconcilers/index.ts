import type { Logger } from '../logger.ts';
import type { Store } from '../store/port.ts';
import { TenancyController } from './tenancy-controller.ts';

export type TenancyReconcilerOptions = {
  /** Where CFOrgs live. */
  rootNamespace: string;
  logger: Logger;
  /** How often every org and space is reconciled again whatever happened; default 5 minutes. */
  resyncIntervalMs?: number;
};

export type RunningReconcilers = {
  /** Ends the watches and waits for the reconciles in flight. */
  stop(): Promise<void>;
};

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
  });
  await controller.start();
  return { stop: () => controller.stop() };
}
