import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { StoreError } from '../errors.ts';
import type { KindName } from '../kinds.ts';
import type { StoredObject } from '../objects.ts';
import type { Watch, WatchEvent } from '../port.ts';
import type { Resource } from './resource.ts';
import type { Change } from './write-batch.ts';

export type WatchFilter = {
  kind: KindName;
  namespace?: string | undefined;
  name?: string | undefined;
  labelSelector?: LabelSelector | undefined;
};

/** Where a watch starts: after a resourceVersion, or with an ADDED event for each current object. */
export type WatchStart = { after: number } | { current: Resource[]; version: number };

type Listener = (event: WatchEvent<KindName>) => void;

/**
 * How many recent changes (at least) are kept for watches that start from a resourceVersion: a few
 * seconds of writes at full speed, far more than the gap between a read and the watch after it.
 */
const defaultHistorySize = 5_000;

/**
 * In-process watches. Committed changes are kept in a bounded history so that a watch can start
 * from a resourceVersion (as `waitFor` does after its read) without missing what happened between.
 */
export class WatchHub {
  readonly #watchers = new Set<Watcher>();
  readonly #history: Change[] = [];
  readonly #historySize: number;
  /** Every change after this version is in the history. */
  #floor: number;

  constructor(version: number, historySize = defaultHistorySize) {
    this.#floor = version;
    this.#historySize = historySize;
  }

  /** Hands committed changes (in resourceVersion order) to the history and every watcher. */
  publish(changes: readonly Change[]): void {
    for (const change of changes) {
      this.#history.push(change);
      for (const watcher of this.#watchers) watcher.offer(change);
    }
    // Trimmed in batches, so that a busy store does not shift the whole history on every write.
    if (this.#history.length >= this.#historySize * 2) {
      this.#floor = this.#history.splice(0, this.#history.length - this.#historySize).at(-1)!.resourceVersion;
    }
  }

  start(filter: WatchFilter, start: WatchStart, listener: Listener): Watch {
    const watcher = new Watcher(filter, listener, (stopped) => this.#watchers.delete(stopped));
    if ('after' in start) {
      if (start.after < this.#floor) {
        throw new StoreError('Conflict', `too old resource version: ${start.after} (${this.#floor})`);
      }
      watcher.after = start.after;
      for (const change of this.#history) watcher.offer(change);
    } else {
      watcher.after = start.version;
      for (const object of start.current) watcher.enqueue({ type: 'ADDED', object });
    }
    this.#watchers.add(watcher);
    watcher.begin();
    return watcher.handle;
  }

  /** Ends every watch, rejecting `closed` with `reason`: the backend, not the consumer, ended them. */
  stopAll(reason: Error): void {
    for (const watcher of [...this.#watchers]) watcher.stop(reason);
  }
}

/** One watch: its filter and a queue that delivers events in order, never inside a store call. */
class Watcher {
  after = 0;
  readonly handle: Watch;
  readonly #filter: WatchFilter;
  readonly #listener: Listener;
  readonly #onStop: (watcher: Watcher) => void;
  readonly #queue: WatchEvent<KindName>[] = [];
  #started = false;
  #scheduled = false;
  #stopped = false;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(filter: WatchFilter, listener: Listener, onStop: (watcher: Watcher) => void) {
    this.#filter = filter;
    this.#listener = listener;
    this.#onStop = onStop;
    const closed = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    // Nobody has to observe `closed`; a rejection must not become an unhandled one.
    closed.catch(() => {});
    this.handle = { stop: () => this.stop(), closed };
  }

  offer(change: Change): void {
    if (change.resourceVersion <= this.after) return;
    const event = eventFor(this.#filter, change);
    if (event !== undefined) this.enqueue(event);
  }

  enqueue(event: WatchEvent<KindName>): void {
    if (this.#stopped) return;
    this.#queue.push(event);
    if (this.#started && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /** The first events wait a turn, so the caller holds the Watch before its listener runs. */
  begin(): void {
    setImmediate(() => {
      this.#started = true;
      this.#flush();
    });
  }

  stop(error?: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#queue.length = 0;
    this.#onStop(this);
    if (error === undefined) this.#settle?.resolve();
    else this.#settle?.reject(error);
  }

  #flush(): void {
    this.#scheduled = false;
    while (!this.#stopped && this.#queue.length > 0) {
      const event = this.#queue.shift()!;
      try {
        this.#listener(event);
      } catch (error) {
        this.stop(error);
      }
    }
  }
}

/**
 * What a watcher sees of a change, as the apiserver's watch cache decides it: an object that
 * starts matching the selector is ADDED, one that stops matching is DELETED (its previous state
 * at the change's version), a deleted one is DELETED with its last state.
 */
export function eventFor(filter: WatchFilter, change: Change): WatchEvent<KindName> | undefined {
  if (!concerns(filter, change)) return undefined;
  const selector = filter.labelSelector ?? [];
  const nowPasses = change.type !== 'DELETED' && matchesLabelSelector(selector, change.labels);
  const previouslyPassed = change.previous !== undefined && matchesLabelSelector(selector, change.previous.labels);
  if (nowPasses) return { type: previouslyPassed ? 'MODIFIED' : 'ADDED', object: JSON.parse(change.json) as StoredObject };
  if (!previouslyPassed) return undefined;
  if (change.type === 'DELETED') return { type: 'DELETED', object: JSON.parse(change.json) as StoredObject };
  const last = JSON.parse(change.previous!.json) as StoredObject;
  last.metadata.resourceVersion = String(change.resourceVersion);
  return { type: 'DELETED', object: last };
}

/** Whether the change is about an object the watch is about, labels aside. */
function concerns(filter: WatchFilter, change: Change): boolean {
  return (
    change.kind === filter.kind &&
    (filter.namespace === undefined || change.namespace === filter.namespace) &&
    (filter.name === undefined || change.name === filter.name)
  );
}
