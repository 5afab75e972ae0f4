import type { Logger } from '../../logger.ts';
import { kinds, type KindName } from '../kinds.ts';
import type { StoredObject } from '../objects.ts';
import type { AccessTarget, ListOptions, Ref, StoreSession } from '../port.ts';
import { AccessDecisions } from './access-decisions.ts';
import { KindCache } from './kind-cache.ts';
import { OwnWrites } from './own-writes.ts';

export type ReadCacheOptions = {
  logger: Logger;
  /** How long a list waits for the cache to show a write this server made (then the store answers). Default 2 s. */
  catchUpMs?: number;
  /** How long a user's list permission is kept when no RBAC change drops it (default 10 s). */
  accessTtlMs?: number;
  /** Decisions are dropped again this long after an RBAC change (default 1 s): the apiserver's authorizer may lag. */
  accessSettleMs?: number;
  /** After a cache failed to start, lists of its kind go to the store this long before it tries again (default 10 s). */
  retryAfterMs?: number;
};

/** Never cached: their lists always go to the store. */
const uncachedKinds: ReadonlySet<KindName> = new Set(['Secret']);
const rbacKinds = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'] as const satisfies KindName[];

/**
 * The state the sessions of a read-caching store share: a cache per kind (started by the kind's
 * first read-only list), the writes this server made (for read-your-writes), and users' list
 * permissions (dropped on RBAC changes the RBAC kinds' caches see).
 */
export class ReadCache {
  readonly #session: StoreSession;
  readonly #logger: Logger;
  readonly #catchUpMs: number;
  readonly #retryAfterMs: number;
  readonly #caches = new Map<KindName, KindCache<KindName>>();
  readonly #writes: OwnWrites;
  readonly #access: AccessDecisions;
  #followingRbac = false;
  #closed = false;

  /** `session`: the server's own (the caches hold every object of their kind in every namespace). */
  constructor(session: StoreSession, options: ReadCacheOptions) {
    this.#session = session;
    this.#logger = options.logger;
    this.#catchUpMs = options.catchUpMs ?? 2000;
    this.#retryAfterMs = options.retryAfterMs ?? 10_000;
    this.#writes = new OwnWrites(this.#catchUpMs);
    this.#access = new AccessDecisions({
      ttlMs: options.accessTtlMs ?? 10_000,
      settleMs: options.accessSettleMs ?? 1000,
      maxEntries: 100_000,
    });
  }

  /**
   * The kind's cache if it may answer a list now: in sync and showing every write this server made
   * to the kind (waiting for that until the newest write is `catchUpMs` old). Otherwise undefined:
   * the store answers. The first call for a kind starts its cache.
   */
  async ready<K extends KindName>(kind: K): Promise<KindCache<K> | undefined> {
    const cache = this.#cacheFor(kind);
    if (cache === undefined || !cache.inSync) return undefined;
    return (await this.#caughtUp(cache)) ? cache : undefined;
  }

  /**
   * Whether the session may list the target, as its `canI` answers: kept per `subject` (a hash of the
   * credentials) while the RBAC caches are in sync and show this server's RBAC writes, asked each
   * time otherwise.
   */
  async mayList(session: StoreSession, subject: string, target: AccessTarget): Promise<boolean> {
    const ask = () => session.canI('list', target);
    if (!(await this.#rbacReady())) return ask();
    return this.#access.decide(subject, target, ask);
  }

  noteWrite(object: StoredObject): void {
    this.#writes.noteWrite(object);
  }

  noteDelete(ref: Ref, cached: StoredObject | undefined): void {
    this.#writes.noteDelete(ref, cached);
  }

  /** The object as the kind's cache holds it now, if the cache runs and holds it. */
  cached(ref: Ref): StoredObject | undefined {
    return this.#caches.get(ref.kind)?.get(ref.namespace, ref.name);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#access.close();
    await Promise.all([...this.#caches.values()].map((cache) => cache.stop()));
  }

  #cacheFor<K extends KindName>(kind: K): KindCache<K> | undefined {
    if (this.#closed || uncachedKinds.has(kind)) return undefined;
    let cache = this.#caches.get(kind) as KindCache<K> | undefined;
    if (cache === undefined) {
      cache = new KindCache({ session: this.#session, kind, logger: this.#logger, retryAfterMs: this.#retryAfterMs });
      this.#caches.set(kind, cache);
    }
    cache.start();
    return cache;
  }

  async #caughtUp(cache: KindCache<KindName>): Promise<boolean> {
    const expectation = this.#writes.expectation(cache.kind);
    if (this.#writes.shown(cache, expectation)) return true;
    const remainingMs = expectation.deadline - Date.now();
    if (remainingMs <= 0) return false;
    return new Promise((resolve) => {
      const finish = (caughtUp: boolean): void => {
        clearTimeout(timer);
        unsubscribe();
        resolve(caughtUp);
      };
      const timer = setTimeout(() => finish(cache.inSync && this.#writes.shown(cache, expectation)), remainingMs);
      const unsubscribe = cache.onChange(() => {
        if (cache.inSync && this.#writes.shown(cache, expectation)) finish(true);
      });
    });
  }

  async #rbacReady(): Promise<boolean> {
    if (!this.#followingRbac) {
      this.#followingRbac = true;
      for (const kind of rbacKinds) {
        const clusterWide = !kinds[kind].namespaced;
        this.#cacheFor(kind)?.onChange((change) =>
          this.#access.changed(change === 'everything' || clusterWide ? undefined : change.namespace),
        );
      }
    }
    const ready = await Promise.all(rbacKinds.map((kind) => this.ready(kind)));
    return ready.every((cache) => cache !== undefined);
  }
}

/** The target of a list's access check, as the apiserver authorizes the list (a name as `metadata.name` field selector counts). */
export function listTarget(kind: KindName, options: ListOptions): AccessTarget {
  return {
    kind,
    ...(kinds[kind].namespaced && options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(options.name === undefined ? {} : { name: options.name }),
  };
}
