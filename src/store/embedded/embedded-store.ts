import { LRUCache } from 'lru-cache';
import type { Store, StoreSession } from '../port.ts';
import { loadCrdSchemas } from './crd-schemas.ts';
import { EmbeddedEngine } from './embedded-engine.ts';
import { createSession, userInfo } from './embedded-session.ts';
import { openSqliteDatabase, type Durability } from './sqlite-database.ts';

export type { Durability } from './sqlite-database.ts';

export type EmbeddedStoreOptions = {
  /** The SQLite file; created with its tables when missing. */
  file: string;
  /** Defaults to `process-crash` (see Durability). */
  durability?: Durability;
  /** Where the CRDs of the custom kinds are (their schemas validate writes); defaults to the project's `deploy/helm/cf-k8s-api/files/crds`. */
  crdDirectory?: string;
};

/** An embedded store with diagnostics the Store port does not carry. */
export type EmbeddedStore = Store & {
  /** `PRAGMA integrity_check`: `['ok']` for a sound file. */
  integrityCheck(): string[];
};

/**
 * Opens (or creates) the SQLite-backed store: Korifi's objects with the apiserver's semantics,
 * authorized from the stored RBAC objects, on one machine with no cluster.
 */
export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const schemas = await loadCrdSchemas(options.crdDirectory);
  const engine = new EmbeddedEngine(openSqliteDatabase(options.file, options.durability ?? 'process-crash'), schemas);
  const privileged = createSession(engine, undefined);
  // A session holds nothing but its user (RBAC is read from the engine at each call), so one per user
  // serves every request of theirs instead of a new set of closures each time.
  const sessions = new LRUCache<string, StoreSession>({ max: 10_000 });
  return {
    as: (user) => {
      const key = `${user.name}\u0000${user.groups.join('\u0000')}`;
      let session = sessions.get(key);
      if (session === undefined) {
        session = createSession(engine, userInfo(user.name, user.groups));
        sessions.set(key, session);
      }
      return session;
    },
    privileged: () => privileged,
    close: async () => engine.close(),
    integrityCheck: () => engine.integrityCheck(),
  };
}
