import { expect } from 'chai';
import { pino } from 'pino';
import { StoreError } from '../../../src/store/errors.ts';
import type { StoredObject } from '../../../src/store/objects.ts';
import type { ObjectList, Store, StoreSession, Watch, WatchEvent } from '../../../src/store/port.ts';
import { withReadCache } from '../../../src/store/read-cache/read-cache-store.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A namespace's worth of Roles with a watch the test ends at will. */
class ScriptedRoles {
  lists = 0;
  version = 10;
  readonly roles = new Map<string, StoredObject<'Role'>>();
  #onEvent: ((event: WatchEvent<'Role'>) => void) | undefined;
  #endWatch: ((error: Error) => void) | undefined;

  role(name: string): StoredObject<'Role'> {
    this.version++;
    return {
      kind: 'Role',
      apiVersion: 'rbac.authorization.k8s.io/v1',
      metadata: { name, namespace: 'ns', resourceVersion: String(this.version) },
      rules: [],
    };
  }

  add(name: string, deliver: boolean): void {
    const role = this.role(name);
    this.roles.set(name, role);
    if (deliver) this.#onEvent?.({ type: 'ADDED', object: role });
  }

  endWatch(): void {
    this.#endWatch?.(new StoreError('Conflict', 'too old resource version'));
  }

  store(): Store {
    const session = {
      list: async (): Promise<ObjectList<'Role'>> => {
        this.lists++;
        return { items: [...this.roles.values()], resourceVersion: String(this.version) };
      },
      watch: async (_kind: 'Role', _options: unknown, onEvent: (event: WatchEvent<'Role'>) => void): Promise<Watch> => {
        this.#onEvent = onEvent;
        const closed = new Promise<void>((_resolve, reject) => (this.#endWatch = reject));
        closed.catch(() => undefined);
        return { stop: () => undefined, closed };
      },
    } as unknown as StoreSession;
    return { as: () => session, privileged: () => session, close: async () => undefined };
  }
}

describe('read cache: a watch that ends', () => {
  it('sends lists to the store until the informer has listed and watches again, then serves the new list', async () => {
    const roles = new ScriptedRoles();
    roles.add('first', false);
    const store = withReadCache(roles.store(), { logger: pino({ level: 'silent' }) });
    const session = store.privileged();
    try {
      await session.list('Role', { namespace: 'ns', readOnly: true });
      await sleep(10);
      const before = roles.lists;
      const cached = await session.list('Role', { namespace: 'ns', readOnly: true });
      expect(roles.lists, 'served from the cache once in sync').to.equal(before);
      expect(cached.items.map((role) => role.metadata.name)).to.deep.equal(['first']);
      roles.add('second', true);
      expect((await session.list('Role', { namespace: 'ns', readOnly: true })).resourceVersion).to.equal(String(roles.version));
      // The watch ends; a change made meanwhile is not delivered: lists go to the store until the relist.
      roles.endWatch();
      await sleep(0);
      roles.add('third', false);
      let lists = roles.lists;
      expect((await session.list('Role', { namespace: 'ns', readOnly: true })).items).to.have.length(3);
      expect(roles.lists, 'out of sync: the store answers').to.equal(lists + 1);
      // The informer lists again after 200 ms, and watches: then the cache answers again.
      let relisted;
      for (const started = Date.now(); ; await sleep(20)) {
        lists = roles.lists;
        relisted = await session.list('Role', { namespace: 'ns', readOnly: true });
        if (roles.lists === lists) break;
        expect(Date.now() - started, 'in sync again within 5 s').to.be.lessThan(5000);
      }
      expect(relisted.items.map((role) => role.metadata.name)).to.deep.equal(['first', 'second', 'third']);
    } finally {
      await store.close();
    }
  });
});
