import type { AppRuntime, RuntimeChange } from '../../app-runtime/app-runtime.ts';
import type { BitsStore } from '../../bits/bits-store.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../logger.ts';
import type { QueueMetrics } from '../../observability/metrics.ts';
import { isStoreError } from '../../store/errors.ts';
import type { KindName } from '../../store/kinds.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { Ref, StoreSession } from '../../store/port.ts';
import { reportReconcileFailure } from '../failure-report.ts';
import { Informer } from '../../store/informer.ts';
import { WorkQueue, type ReconcileOutcome } from '../work-queue.ts';

/** What a workload reconcile works with: the server's session, the runtime, and the settings. */
export type WorkloadContext = {
  session: StoreSession;
  runtime: AppRuntime;
  /** Where bits packages are (to stage them, and to delete them with their package). */
  bits?: BitsStore;
  logger: Logger;
  config: Config;
};

type Affected<K extends KindName> = Ref<K>[] | Promise<Ref<K>[]>;

/**
 * One controller of one kind, as a Korifi controller is declared: the kind it owns, the other kinds
 * whose changes concern its objects (`watches`, e.g. a process's app), the runtime changes that do,
 * and the reconcile of one object by its reference.
 */
export type KindControllerDefinition<K extends KindName> = {
  kind: K;
  watches?: { [W in KindName]: { kind: W; affected(object: StoredObject<W>, context: WorkloadContext): Affected<K> } }[KindName][];
  runtimeChanges?: (change: RuntimeChange, context: WorkloadContext) => Affected<K>;
  /**
   * Brings the world in line with the object; `object` is undefined when it is gone (let go of what the
   * runtime holds for it). Read it again before a conditional write: `object` is a fresh read.
   */
  reconcile(context: WorkloadContext, ref: Ref<K>, object: StoredObject<K> | undefined): Promise<ReconcileOutcome>;
};

const keyOf = (ref: Ref): string => `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
const refOfKey = <K extends KindName>(key: string): Ref<K> => {
  const [kind, namespace, name] = key.split('/') as [K, string, string];
  return namespace === '' ? { kind, name } : { kind, namespace, name };
};

/** When reconciles last let the event loop turn, for every controller of the process. */
let lastTurn = performance.now();
const sliceMs = 5;

/**
 * On a store that answers at once (the embedded one) a queue runs in microtasks only, so a start over
 * thousands of objects would hold every request, even the first, until it had reconciled them all.
 * Reconciles therefore give way to the event loop (timers, requests) after every few milliseconds of work.
 */
async function letTheEventLoopTurn(): Promise<void> {
  if (performance.now() - lastTurn < sliceMs) return;
  await new Promise((resolve) => setImmediate(resolve));
  lastTurn = performance.now();
}

/** Races with other writers (users, other replicas) that the next run resolves by reading again. */
const expectedRaces = ['Conflict', 'AlreadyExists'] as const;

/**
 * Runs a definition: informers on the owned kind (every namespace) and on the watched ones feed one
 * work queue of owned-object keys; the runtime's changes feed it too; a periodic resync queues every
 * owned object again.
 */
export class KindController<K extends KindName> {
  readonly #definition: KindControllerDefinition<K>;
  readonly #context: WorkloadContext;
  readonly #queue: WorkQueue;
  readonly #informers: Informer<KindName>[];
  readonly #resyncIntervalMs: number;
  #known = new Set<string>();
  #stopping = false;
  #resyncTimer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(
    definition: KindControllerDefinition<K>,
    context: WorkloadContext,
    options: { concurrency: number; resyncIntervalMs: number; metrics?: QueueMetrics },
  ) {
    this.#definition = definition;
    this.#context = context;
    this.#resyncIntervalMs = options.resyncIntervalMs;
    this.#queue = new WorkQueue({
      concurrency: options.concurrency,
      reconcile: (key) => this.#reconcile(key),
      onError: (key, error, failures) => this.#reportFailure(key, error, failures),
      ...(options.metrics ? { metrics: options.metrics } : {}),
    });
    this.#informers = [this.#ownInformer(), ...(definition.watches ?? []).map((watch) => this.#watchInformer(watch))];
  }

  async start(): Promise<void> {
    // Each first list is one long piece of work over thousands of objects on the embedded store, so
    // they run one at a time with a turn of the event loop before each: requests are answered while
    // the reconcilers start.
    for (const informer of this.#informers) {
      await new Promise((resolve) => setImmediate(resolve));
      try {
        await informer.start();
      } catch (error) {
        await this.stop();
        throw error;
      }
    }
    const { runtimeChanges } = this.#definition;
    if (runtimeChanges !== undefined)
      this.#unsubscribe = this.#context.runtime.onChange((change) => this.#enqueue(() => runtimeChanges(change, this.#context)));
    this.#resyncTimer = setInterval(() => {
      for (const key of this.#known) this.#queue.add(key);
    }, this.#resyncIntervalMs);
    this.#resyncTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#resyncTimer);
    this.#unsubscribe?.();
    await Promise.all(this.#informers.map((informer) => informer.stop()));
    await this.#queue.stop();
  }

  #ownInformer(): Informer<KindName> {
    const { kind } = this.#definition;
    return new Informer<K>({
      session: this.#context.session,
      logger: this.#context.logger,
      kind,
      // Only their keys are taken (each reconcile reads its object again).
      readOnly: true,
      onList: (objects) => {
        const keys = new Set(
          objects.map((object) => keyOf({ kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name })),
        );
        // Objects that went while no watch ran are reconciled once more, as gone.
        for (const key of this.#known) if (!keys.has(key)) this.#queue.add(key);
        this.#known = keys;
        for (const key of keys) this.#queue.add(key);
      },
      onEvent: (event) => {
        const key = keyOf({ kind, namespace: event.object.metadata.namespace ?? '', name: event.object.metadata.name });
        if (event.type === 'DELETED') this.#known.delete(key);
        else this.#known.add(key);
        this.#queue.add(key);
      },
    });
  }

  #watchInformer<W extends KindName>(watch: {
    kind: W;
    affected(object: StoredObject<W>, context: WorkloadContext): Affected<K>;
  }): Informer<KindName> {
    const affectedBy = (object: StoredObject<W>) => this.#enqueue(() => watch.affected(object, this.#context));
    return new Informer<W>({
      session: this.#context.session,
      logger: this.#context.logger,
      kind: watch.kind,
      // `affected` only reads them, to name the owned objects they concern.
      readOnly: true,
      onList: (objects) => this.#eachGivingWay(objects, affectedBy),
      onEvent: (event) => affectedBy(event.object),
    });
  }

  /**
   * Runs `each` over a list (thousands of apps for the process controller, each asking the store for
   * its processes), giving way to the event loop as reconciles do instead of in one run of microtasks.
   */
  #eachGivingWay<T>(items: readonly T[], each: (item: T) => void): void {
    void (async () => {
      for (const item of items) {
        await letTheEventLoopTurn();
        if (this.#stopping) return;
        each(item);
      }
    })();
  }

  #enqueue(affected: () => Affected<K>): void {
    Promise.resolve()
      .then(affected)
      .then(
        (refs) => refs.forEach((ref) => this.#queue.add(keyOf(ref))),
        (error: unknown) =>
          this.#context.logger.warn({ err: error, kind: this.#definition.kind }, 'finding the objects a change concerns failed'),
      );
  }

  async #reconcile(key: string): Promise<ReconcileOutcome> {
    await letTheEventLoopTurn();
    if (this.#stopping) return undefined;
    const ref = refOfKey<K>(key);
    const object = await this.#context.session.get(ref).catch((error: unknown) => {
      if (isStoreError(error, 'NotFound')) return undefined;
      throw error;
    });
    const outcome = await this.#definition.reconcile(this.#context, ref, object);
    this.#context.logger.debug({ key, requeueAfterMs: outcome?.requeueAfterMs }, 'reconciled');
    return outcome;
  }

  #reportFailure(key: string, error: unknown, failures: number): void {
    reportReconcileFailure(this.#context.logger, { key, error, failures }, expectedRaces);
  }
}
