import type { Logger } from '../../logger.ts';
import { deepFreeze } from '../deep-freeze.ts';
import { Informer } from '../informer.ts';
import { kinds, type KindName } from '../kinds.ts';
import type { StoredObject } from '../objects.ts';
import type { ListOptions, StoreSession, WatchEvent } from '../port.ts';
import { withLabels } from './list-filter.ts';
import { versionOf } from './versions.ts';

const maxRetryAfterMs = 5 * 60_000;

/** What changed in a kind's cache: one object's namespace ('' when cluster-scoped), or everything (a new list). */
export type CacheChange = { namespace: string } | 'everything';

/** One namespace's objects by name, and (until the next change) in the apiserver's order. */
type Bucket = { byName: Map<string, StoredObject>; sorted: StoredObject[] | undefined };

export type KindCacheOptions<K extends KindName> = {
  /** The server's session: the cache holds every object of the kind, whoever asks. */
  session: StoreSession;
  kind: K;
  logger: Logger;
  /** After a failed start, how long lists keep going to the store before the cache tries again (doubling with each failure, up to 5 min). */
  retryAfterMs: number;
};

/**
 * Every object of one kind in every namespace, kept by an informer (list, then watch), deep-frozen,
 * indexed by namespace and name. It serves lists only while it is in sync: after its first list and
 * watch, and not between a watch's end and the list that follows it.
 */
export class KindCache<K extends KindName> {
  readonly kind: K;
  readonly #options: KindCacheOptions<K>;
  readonly #namespaced: boolean;
  #informer: Informer<K> | undefined;
  #starting: Promise<void> | undefined;
  #retryAt = 0;
  #failedStarts = 0;
  #buckets = new Map<string, Bucket>();
  #namespaceOrder: string[] | undefined;
  #version = 0n;
  #inSync = false;
  #stopped = false;
  readonly #listeners = new Set<(change: CacheChange) => void>();

  constructor(options: KindCacheOptions<K>) {
    this.kind = options.kind;
    this.#options = options;
    this.#namespaced = kinds[options.kind].namespaced;
  }

  /** Whether lists may be served: listed, watching, and the watch has not ended since. */
  get inSync(): boolean {
    return this.#inSync;
  }

  /** The newest version the cache has seen (its last list's or a later event's): a list's resourceVersion. */
  get version(): bigint {
    return this.#version;
  }

  /** Starts the informer unless it runs, is starting, or failed moments ago. */
  start(): void {
    if (this.#stopped || this.#informer !== undefined || Date.now() < this.#retryAt) return;
    const { session, kind, logger } = this.#options;
    const informer = new Informer<K>({
      session,
      kind,
      logger,
      onList: (objects, resourceVersion) => this.#replaceAll(objects, resourceVersion),
      onEvent: (event) => this.#apply(event),
      onWatching: () => {
        this.#failedStarts = 0;
        this.#inSync = true;
        this.#notify('everything');
      },
      onWatchEnded: () => (this.#inSync = false),
    });
    this.#informer = informer;
    this.#starting = informer.start().catch((error: unknown) => {
      logger.warn({ err: error, kind }, 'read cache: the first list or watch failed; lists go to the store for now');
      this.#informer = undefined;
      this.#inSync = false;
      this.#failedStarts++;
      this.#retryAt = Date.now() + Math.min(this.#options.retryAfterMs * 2 ** Math.min(this.#failedStarts - 1, 20), maxRetryAfterMs);
      return informer.stop();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#inSync = false;
    const stopping = this.#informer?.stop();
    await this.#starting;
    await stopping;
    this.#listeners.clear();
  }

  /** Calls `listener` after every change the cache applies; returns the unsubscribe. */
  onChange(listener: (change: CacheChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The cached object, if any. */
  get(namespace: string | undefined, name: string): StoredObject<K> | undefined {
    return this.#buckets.get(this.#bucketKey(namespace))?.byName.get(name) as StoredObject<K> | undefined;
  }

  /**
   * The objects a list with these options gets from the apiserver, in its order (by namespace, then
   * name): the namespace (ignored for cluster-scoped kinds, as the apiserver does), `name` as the
   * `metadata.name` field selector, then the label selector. The array is new; the objects are shared
   * and frozen.
   */
  list(options: ListOptions): StoredObject<K>[] {
    const namespace = this.#namespaced ? options.namespace : undefined;
    let objects: StoredObject[];
    if (namespace !== undefined) {
      const bucket = this.#buckets.get(namespace);
      if (bucket === undefined) return [];
      if (options.name !== undefined) objects = optional(bucket.byName.get(options.name));
      // The bucket's own sorted array is kept for the next list: hand out a copy.
      else objects = options.labelSelector?.length ? sortedOf(bucket) : [...sortedOf(bucket)];
    } else if (options.name !== undefined) {
      const name = options.name;
      objects = this.#namespacesInOrder().flatMap((key) => optional(this.#buckets.get(key)?.byName.get(name)));
    } else {
      objects = this.#namespacesInOrder().flatMap((key) => sortedOf(this.#buckets.get(key)!));
    }
    return withLabels(objects, options.labelSelector) as StoredObject<K>[];
  }

  #replaceAll(objects: StoredObject<K>[], resourceVersion: string): void {
    this.#buckets = new Map();
    this.#namespaceOrder = undefined;
    for (const object of objects) this.#put(deepFreeze(object) as StoredObject);
    this.#advance(resourceVersion);
    this.#notify('everything');
  }

  #apply(event: WatchEvent<K>): void {
    const object = deepFreeze(event.object) as StoredObject;
    if (event.type === 'DELETED') this.#remove(object);
    else this.#put(object);
    this.#advance(object.metadata.resourceVersion);
    this.#notify({ namespace: this.#bucketKey(object.metadata.namespace) });
  }

  #put(object: StoredObject): void {
    const key = this.#bucketKey(object.metadata.namespace);
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { byName: new Map(), sorted: undefined };
      this.#buckets.set(key, bucket);
      this.#namespaceOrder = undefined;
    }
    const had = bucket.byName.has(object.metadata.name);
    bucket.byName.set(object.metadata.name, object);
    // A changed object keeps its place; only a new name changes the order.
    if (!had) bucket.sorted = undefined;
    else if (bucket.sorted !== undefined) {
      const index = bucket.sorted.findIndex((other) => other.metadata.name === object.metadata.name);
      if (index >= 0) bucket.sorted[index] = object;
      else bucket.sorted = undefined;
    }
  }

  #remove(object: StoredObject): void {
    const key = this.#bucketKey(object.metadata.namespace);
    const bucket = this.#buckets.get(key);
    if (bucket === undefined || !bucket.byName.delete(object.metadata.name)) return;
    bucket.sorted = undefined;
    if (bucket.byName.size === 0) {
      this.#buckets.delete(key);
      this.#namespaceOrder = undefined;
    }
  }

  #advance(resourceVersion: string | undefined): void {
    const version = versionOf(resourceVersion);
    if (version !== undefined && version > this.#version) this.#version = version;
  }

  #notify(change: CacheChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#options.logger.warn({ err: error, kind: this.kind }, 'read cache: a change listener failed');
      }
    }
  }

  #bucketKey(namespace: string | undefined): string {
    return this.#namespaced ? (namespace ?? '') : '';
  }

  /** Namespaces in the order of the apiserver's keys (`<namespace>/<name>`, compared as strings). */
  #namespacesInOrder(): string[] {
    this.#namespaceOrder ??= [...this.#buckets.keys()].sort((a, b) => compare(`${a}/`, `${b}/`));
    return this.#namespaceOrder;
  }
}

function sortedOf(bucket: Bucket): StoredObject[] {
  bucket.sorted ??= [...bucket.byName.values()].sort((a, b) => compare(a.metadata.name, b.metadata.name));
  return bucket.sorted;
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
