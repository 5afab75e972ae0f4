import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore, type EmbeddedStore, type EmbeddedStoreOptions } from '../../../src/store/embedded/embedded-store.ts';
import { isStoreError, type StoreErrorReason } from '../../../src/store/errors.ts';
import type { KindName } from '../../../src/store/kinds.ts';
import type { NewObject, StoredObject } from '../../../src/store/objects.ts';
import type { StoreSession, StoreUser, WatchEvent } from '../../../src/store/port.ts';

/** A store on a fresh file in its own temporary directory; `reopen` closes and opens the same file. */
export type TestStore = {
  store: EmbeddedStore;
  admin: StoreSession;
  file: string;
  reopen(options?: Partial<EmbeddedStoreOptions>): Promise<void>;
  dispose(): Promise<void>;
};

export async function testStore(options: Partial<EmbeddedStoreOptions> = {}): Promise<TestStore> {
  const directory = await mkdtemp(join(tmpdir(), 'embedded-store-'));
  const file = join(directory, 'store.db');
  const handle: TestStore = {
    store: await openEmbeddedStore({ file, ...options }),
    admin: undefined as unknown as StoreSession,
    file,
    async reopen(reopenOptions = {}) {
      await handle.store.close();
      handle.store = await openEmbeddedStore({ file, ...reopenOptions });
      handle.admin = handle.store.privileged();
    },
    async dispose() {
      await handle.store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
  handle.admin = handle.store.privileged();
  return handle;
}

export function storeUser(name: string, groups: string[] = []): StoreUser {
  return { name, groups, credentials: { scheme: 'bearer', token: `token-of-${name}` } };
}

export const namespace = (name: string, labels: Record<string, string> = {}): NewObject<'Namespace'> => ({
  kind: 'Namespace',
  metadata: { name, labels },
});

export function app(
  namespaceName: string,
  name: string,
  extra: { labels?: Record<string, string>; finalizers?: string[] } = {},
): NewObject<'CFApp'> {
  return {
    kind: 'CFApp',
    metadata: { name, namespace: namespaceName, ...extra },
    spec: { displayName: name, desiredState: 'STOPPED', lifecycle: { type: 'buildpack', data: { stack: 'cflinuxfs4' } } },
  };
}

export function ownedSecret(owner: StoredObject, name: string, finalizers?: string[]): NewObject<'Secret'> {
  return {
    kind: 'Secret',
    metadata: {
      name,
      namespace: owner.metadata.namespace!,
      ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid! }],
      ...(finalizers === undefined ? {} : { finalizers }),
    },
    stringData: { key: 'value' },
  };
}

/** The StoreError reason a promise rejects with, or a failure if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<{ reason: StoreErrorReason; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isStoreError(error)) return { reason: error.reason, message: error.message };
    throw error;
  }
  throw new Error('expected the call to fail');
}

export async function exists(session: StoreSession, kind: KindName, name: string, namespaceName?: string): Promise<boolean> {
  try {
    await session.get(namespaceName === undefined ? { kind, name } : { kind, namespace: namespaceName, name });
    return true;
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return false;
    throw error;
  }
}

/** Collects watch events; `next(n)` waits until n have arrived. */
export function eventCollector<K extends KindName>() {
  const events: WatchEvent<K>[] = [];
  const waiters: (() => void)[] = [];
  return {
    events,
    onEvent: (event: WatchEvent<K>) => {
      events.push(event);
      waiters.splice(0).forEach((wake) => wake());
    },
    summary: () => events.map((event) => `${event.type} ${event.object.metadata.name}`),
    async count(n: number, timeoutMs = 2000): Promise<WatchEvent<K>[]> {
      const deadline = Date.now() + timeoutMs;
      while (events.length < n) {
        if (Date.now() > deadline)
          throw new Error(`expected ${n} events, got ${events.length}: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 20);
        });
      }
      return events;
    },
  };
}

/** Lets pending watch deliveries run. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
