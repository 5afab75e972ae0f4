import type { Store, StoreUser } from '../port.ts';
import { ReadCache, type ReadCacheOptions } from './read-cache.ts';
import { ReadCacheSession } from './read-cache-session.ts';

export type { ReadCacheOptions };

/**
 * A store whose read-only lists (`ListOptions.readOnly`) are answered from watch caches: one per kind,
 * kept by the server's own session over every namespace and started by the kind's first such list.
 * Users' lists are authorized with their own access check (kept until an RBAC change or for a short
 * time); this server's own writes show in the next list (read-your-writes, waiting for the watch a
 * bounded time); writes by other processes show once their watch events arrive. Everything else, and
 * Secrets always, goes to `store`. For stores whose lists cost a round trip (the Kubernetes backend).
 */
export function withReadCache(store: Store, options: ReadCacheOptions): Store {
  const cache = new ReadCache(store.privileged(), options);
  const privileged = new ReadCacheSession(store.privileged(), cache, undefined);
  return {
    as: (user: StoreUser) => new ReadCacheSession(store.as(user), cache, user),
    privileged: () => privileged,
    close: async () => {
      await cache.close();
      await store.close();
    },
  };
}
