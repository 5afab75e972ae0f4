import type { QueueMetrics } from '../observability/metrics.ts';

/** What a reconcile asks of the queue when it ends without error: nothing, or another run later. */
export type ReconcileOutcome = { requeueAfterMs?: number } | undefined;

export type WorkQueueOptions = {
  /** How many keys are reconciled at once (never the same key twice at once). */
  concurrency: number;
  reconcile: (key: string) => Promise<ReconcileOutcome>;
  /** Told about each failed run, with how many runs of that key have failed in a row. */
  onError: (key: string, error: unknown, failures: number) => void;
  /** Delay before retrying after the first failure (±25%); it doubles with each further failure, up to `maxRetryDelayMs`. */
  baseRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Told the queue's depth (read when scraped, until the queue stops) and each failed run. */
  metrics?: QueueMetrics;
};

/**
 * A controller's work queue: keys, not events, so a burst of changes to one object is one
 * reconcile; a key added while it is being reconciled runs once more afterwards; failures are
 * retried with exponential backoff that a success resets.
 */
export class WorkQueue {
  readonly #options: Required<Omit<WorkQueueOptions, 'metrics'>>;
  readonly #metrics: QueueMetrics | undefined;
  readonly #detachMetrics: (() => void) | undefined;
  readonly #pending = new Set<string>();
  readonly #active = new Set<string>();
  /** Keys added while they were being reconciled: they run again when that run ends. */
  readonly #dirty = new Set<string>();
  readonly #delayed = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  readonly #failures = new Map<string, number>();
  readonly #running = new Set<Promise<void>>();
  #stopped = false;

  constructor(options: WorkQueueOptions) {
    const { metrics, ...rest } = options;
    this.#options = { baseRetryDelayMs: 50, maxRetryDelayMs: 30_000, ...rest };
    this.#metrics = metrics;
    this.#detachMetrics = metrics?.attach(() => this.depth);
  }

  /** Keys waiting for a run (not those running, nor those waiting for a retry or a requeue). */
  get depth(): number {
    return this.#pending.size;
  }

  add(key: string): void {
    if (this.#stopped) return;
    this.#cancelDelayed(key);
    if (this.#active.has(key)) this.#dirty.add(key);
    else this.#pending.add(key);
    this.#pump();
  }

  /** Adds the key after a delay; an earlier pending delay for it wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#stopped) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const due = Date.now() + delayMs;
    const existing = this.#delayed.get(key);
    if (existing !== undefined && existing.due <= due) return;
    if (existing !== undefined) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#delayed.set(key, { timer, due });
  }

  /** Drops what is queued and waits for the reconciles in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#detachMetrics?.();
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    this.#pending.clear();
    this.#dirty.clear();
    await Promise.allSettled([...this.#running]);
  }

  #cancelDelayed(key: string): void {
    const delayed = this.#delayed.get(key);
    if (delayed === undefined) return;
    clearTimeout(delayed.timer);
    this.#delayed.delete(key);
  }

  #pump(): void {
    while (!this.#stopped && this.#active.size < this.#options.concurrency) {
      const key = this.#pending.values().next().value;
      if (key === undefined) return;
      this.#pending.delete(key);
      this.#active.add(key);
      const run = this.#run(key).finally(() => this.#running.delete(run));
      this.#running.add(run);
    }
  }

  async #run(key: string): Promise<void> {
    try {
      const outcome = await this.#options.reconcile(key);
      this.#failures.delete(key);
      if (outcome?.requeueAfterMs !== undefined) this.addAfter(key, outcome.requeueAfterMs);
    } catch (error) {
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      this.#metrics?.failed();
      this.#options.onError(key, error, failures);
      this.addAfter(key, this.#retryDelayMs(failures));
    } finally {
      this.#active.delete(key);
      if (this.#dirty.delete(key)) this.add(key);
      this.#pump();
    }
  }

  /** Exponential, with jitter so that replicas which collided do not retry in lock-step and collide again. */
  #retryDelayMs(failures: number): number {
    const delay = Math.min(this.#options.baseRetryDelayMs * 2 ** Math.min(failures - 1, 20), this.#options.maxRetryDelayMs);
    return delay * (0.75 + Math.random() / 2);
  }
}
