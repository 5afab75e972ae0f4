import type { Logger } from '../logger.ts';
import type { QueueMetrics } from '../observability/metrics.ts';
import type { StoreSession } from '../store/port.ts';
import { reportReconcileFailure } from './failure-report.ts';
import { Informer } from '../store/informer.ts';
import { refOfKey } from './object-keys.ts';
import { TenancyEvents } from './tenancy-events.ts';
import { TenancyIndex } from './tenancy-index.ts';
import { orgLevel, spaceLevel } from './tenancy-levels.ts';
import { reconcileTenancy } from './tenancy-reconciler.ts';
import { WorkQueue, type ReconcileOutcome } from './work-queue.ts';

/** What the controller needs of an informer. */
type Runnable = { start(): Promise<void>; stop(): Promise<void> };

export type TenancyControllerOptions = {
  rootNamespace: string;
  logger: Logger;
  resyncIntervalMs: number;
  concurrency: number;
  metrics?: QueueMetrics;
};

/** Races with other writers (other replicas, users) that the next run resolves by reading again. */
const expectedRaces = ['Conflict', 'AlreadyExists', 'NotFound'] as const;

/**
 * The org and space reconcilers as one controller: informers on CFOrgs (root namespace), CFSpaces,
 * Namespaces and RoleBindings feed one work queue of org and space keys; a periodic resync queues
 * every org and space again.
 */
export class TenancyController {
  readonly #session: StoreSession;
  readonly #options: TenancyControllerOptions;
  readonly #queue: WorkQueue;
  readonly #events: TenancyEvents;
  readonly #informers: Runnable[];
  #resyncTimer: NodeJS.Timeout | undefined;

  constructor(session: StoreSession, options: TenancyControllerOptions) {
    this.#session = session;
    this.#options = options;
    this.#queue = new WorkQueue({
      concurrency: options.concurrency,
      reconcile: (key) => this.#reconcile(key),
      onError: (key, error, failures) => this.#reportFailure(key, error, failures),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    this.#events = new TenancyEvents(new TenancyIndex(), options.rootNamespace, (key) => this.#queue.add(key));
    this.#informers = this.#createInformers();
  }

  /** Resolves once every informer has listed and watches; on failure nothing is left running. */
  async start(): Promise<void> {
    // Every start settles before a failure is reported, so that stop() leaves nothing behind.
    const started = await Promise.allSettled(this.#informers.map((informer) => informer.start()));
    const failure = started.find((result) => result.status === 'rejected');
    if (failure !== undefined) {
      await this.stop();
      throw failure.reason;
    }
    this.#resyncTimer = setInterval(() => this.#events.everything(), this.#options.resyncIntervalMs);
    this.#resyncTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#resyncTimer);
    await Promise.all(this.#informers.map((informer) => informer.stop()));
    await this.#queue.stop();
  }

  #createInformers(): Runnable[] {
    const session = this.#session;
    const { logger, rootNamespace } = this.#options;
    const events = this.#events;
    return [
      new Informer({
        session,
        logger,
        kind: 'CFOrg',
        namespace: rootNamespace,
        onList: (orgs) => events.orgsListed(orgs),
        onEvent: (event) => events.orgChanged(event),
      }),
      new Informer({
        session,
        logger,
        kind: 'CFSpace',
        onList: (spaces) => events.spacesListed(spaces),
        onEvent: (event) => events.spaceChanged(event),
      }),
      new Informer({
        session,
        logger,
        kind: 'Namespace',
        onList: () => events.everything(),
        onEvent: (event) => events.namespaceTouched(event.object.metadata.name),
      }),
      new Informer({
        session,
        logger,
        kind: 'RoleBinding',
        onList: () => events.everything(),
        onEvent: (event) => events.namespaceTouched(event.object.metadata.namespace ?? ''),
      }),
    ];
  }

  async #reconcile(key: string): Promise<ReconcileOutcome> {
    const ref = refOfKey(key);
    const context = { session: this.#session, rootNamespace: this.#options.rootNamespace };
    const outcome = await reconcileTenancy(context, ref.kind === 'CFOrg' ? orgLevel : spaceLevel, ref);
    this.#options.logger.debug({ key, requeueAfterMs: outcome?.requeueAfterMs }, 'reconciled');
    return outcome;
  }

  #reportFailure(key: string, error: unknown, failures: number): void {
    reportReconcileFailure(this.#options.logger, { key, error, failures }, expectedRaces);
  }
}
