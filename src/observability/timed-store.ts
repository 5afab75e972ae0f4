import type { KindName } from '../store/kinds.ts';
import type { NewObject, StoredObject } from '../store/objects.ts';
import type {
  AccessTarget,
  AccessVerb,
  CallOptions,
  GetOptions,
  ListOptions,
  MergePatch,
  ObjectList,
  Ref,
  Store,
  StoreSession,
  StoreUser,
  WaitOptions,
  Watch,
  WatchEvent,
  WatchOptions,
  WritePreconditions,
} from '../store/port.ts';
import type { HistogramSeries } from './instruments.ts';
import type { Metrics, StoreVerb } from './metrics.ts';

type Timers = Record<StoreVerb, HistogramSeries>;

const timedVerbs: readonly StoreVerb[] = [
  'get',
  'list',
  'create',
  'createAll',
  'update',
  'patch',
  'updateStatus',
  'patchStatus',
  'delete',
  'watch',
  'canI',
];

/**
 * The store with every call timed into `cfapi_store_call_duration_seconds{backend, verb}`, the verb
 * being the port's method (a watch counts until it runs; `waitFor` and `waitForDeletion` are not
 * timed: they wait for controllers, which request latency shows). Each call costs two clock reads, an
 * await and a few additions.
 */
export function timeStoreCalls(store: Store, backend: 'embedded' | 'kubernetes', metrics: Metrics): Store {
  const timers = Object.fromEntries(timedVerbs.map((verb) => [verb, metrics.storeCallSeries(backend, verb)])) as Timers;
  // A wrapper per call, as the labelling store below makes one: a lookup of the session it wraps (a
  // WeakMap) cost more than the allocation, and missed anyway since that store's sessions are new each time.
  return {
    as: (user: StoreUser) => new TimedSession(store.as(user), timers),
    privileged: () => new TimedSession(store.privileged(), timers),
    close: () => store.close(),
  };
}

/** Seconds since `started` (a `performance.now()` reading). */
const since = (started: number): number => (performance.now() - started) / 1000;

class TimedSession implements StoreSession {
  readonly #inner: StoreSession;
  readonly #timers: Timers;

  constructor(inner: StoreSession, timers: Timers) {
    this.#inner = inner;
    this.#timers = timers;
  }

  async get<K extends KindName>(ref: Ref<K>, options?: GetOptions): Promise<StoredObject<K>> {
    const started = performance.now();
    try {
      return await this.#inner.get(ref, options);
    } finally {
      this.#timers.get.observe(since(started));
    }
  }

  async list<K extends KindName>(kind: K, options?: ListOptions): Promise<ObjectList<K>> {
    const started = performance.now();
    try {
      return await this.#inner.list(kind, options);
    } finally {
      this.#timers.list.observe(since(started));
    }
  }

  async create<K extends KindName>(object: NewObject<K>, options?: CallOptions): Promise<StoredObject<K>> {
    const started = performance.now();
    try {
      return await this.#inner.create(object, options);
    } finally {
      this.#timers.create.observe(since(started));
    }
  }

  async createAll(objects: NewObject[]): Promise<StoredObject[]> {
    const started = performance.now();
    try {
      return await this.#inner.createAll(objects);
    } finally {
      this.#timers.createAll.observe(since(started));
    }
  }

  async update<K extends KindName>(object: StoredObject<K>, options?: CallOptions): Promise<StoredObject<K>> {
    const started = performance.now();
    try {
      return await this.#inner.update(object, options);
    } finally {
      this.#timers.update.observe(since(started));
    }
  }

  async patch<K extends KindName>(ref: Ref<K>, patch: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>> {
    const started = performance.now();
    try {
      return await this.#inner.patch(ref, patch, preconditions);
    } finally {
      this.#timers.patch.observe(since(started));
    }
  }

  async updateStatus<K extends KindName>(object: StoredObject<K>): Promise<StoredObject<K>> {
    const started = performance.now();
    try {
      return await this.#inner.updateStatus(object);
    } finally {
      this.#timers.updateStatus.observe(since(started));
    }
  }

  async patchStatus<K extends KindName>(ref: Ref<K>, status: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>> {
    const started = performance.now();
    try {
      return await this.#inner.patchStatus(ref, status, preconditions);
    } finally {
      this.#timers.patchStatus.observe(since(started));
    }
  }

  async delete(ref: Ref, preconditions?: WritePreconditions): Promise<void> {
    const started = performance.now();
    try {
      await this.#inner.delete(ref, preconditions);
    } finally {
      this.#timers.delete.observe(since(started));
    }
  }

  async watch<K extends KindName>(kind: K, options: WatchOptions, onEvent: (event: WatchEvent<K>) => void): Promise<Watch> {
    const started = performance.now();
    try {
      return await this.#inner.watch(kind, options, onEvent);
    } finally {
      this.#timers.watch.observe(since(started));
    }
  }

  waitFor<K extends KindName>(
    ref: Ref<K>,
    condition: (object: StoredObject<K>) => boolean,
    options: WaitOptions,
  ): Promise<StoredObject<K>> {
    return this.#inner.waitFor(ref, condition, options);
  }

  waitForDeletion(ref: Ref, options: WaitOptions): Promise<void> {
    return this.#inner.waitForDeletion(ref, options);
  }

  async canI(verb: AccessVerb, target: AccessTarget): Promise<boolean> {
    const started = performance.now();
    try {
      return await this.#inner.canI(verb, target);
    } finally {
      this.#timers.canI.observe(since(started));
    }
  }
}
