import { expect } from 'chai';
import { pino } from 'pino';
import type { LabelSelector } from '../../../src/labels/selector.ts';
import type { KindName } from '../../../src/store/kinds.ts';
import { KubernetesStore } from '../../../src/store/kubernetes/kubernetes-store.ts';
import type { ListOptions, Store, StoreSession, StoreUser, Watch } from '../../../src/store/port.ts';
import { withReadCache } from '../../../src/store/read-cache/read-cache-store.ts';
import { adminKubeConfig, sharedControlPlane } from '../../support/control-plane.ts';
import { expectStoreError } from '../contract/expect-store-error.ts';
import { newApp, newSecret } from '../contract/objects.ts';
import { uniqueName } from '../fixture.ts';

/** The port's calls that reached the store below the cache: lists and access checks made, watches still running. */
type Traffic = { lists: number; openWatches: number; accessChecks: number };

/** A store that counts the lists and running watches of every session it hands out. */
function countingStore(store: Store, traffic: Traffic): Store {
  const counted = (session: StoreSession): StoreSession =>
    new Proxy(session, {
      get(target, property, receiver) {
        if (property === 'list') {
          return (kind: KindName, options?: ListOptions) => {
            traffic.lists++;
            return target.list(kind, options);
          };
        }
        if (property === 'canI') {
          return (...args: Parameters<StoreSession['canI']>) => {
            traffic.accessChecks++;
            return target.canI(...args);
          };
        }
        if (property === 'watch') {
          return async (...args: Parameters<StoreSession['watch']>): Promise<Watch> => {
            const watch = await target.watch(...args);
            traffic.openWatches++;
            let stopped = false;
            const stop = (): void => {
              if (stopped) return;
              stopped = true;
              traffic.openWatches--;
            };
            watch.closed.then(stop, stop);
            return {
              stop: () => {
                stop();
                watch.stop();
              },
              closed: watch.closed,
            };
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  return { as: (user) => counted(store.as(user)), privileged: () => counted(store.privileged()), close: () => store.close() };
}

const readOnly = { readOnly: true } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('read cache over the Kubernetes store (real kube-apiserver)', function () {
  this.timeout(60_000);
  let direct: KubernetesStore;
  let cached: Store;
  let traffic: Traffic;
  let newUser: () => Promise<StoreUser>;
  let namespace: string;
  let sibling: string;

  /** Lists through the cache and says whether the store below answered. */
  async function cachedList<K extends KindName>(session: StoreSession, kind: K, options: ListOptions = {}) {
    const before = traffic.lists;
    const list = await session.list(kind, { ...options, readOnly: true });
    return { ...list, fromStore: traffic.lists !== before };
  }

  /** Lists until the kind's cache answers (its first list starts it). */
  async function untilCached(kind: KindName, session: StoreSession = cached.privileged()): Promise<void> {
    for (const started = Date.now(); Date.now() - started < 20_000; await sleep(50)) {
      if (!(await cachedList(session, kind, { namespace })).fromStore) return;
    }
    expect.fail(`the ${kind} cache did not come into sync`);
  }

  async function expectSameLists<K extends KindName>(kind: K, options: ListOptions, session = cached.privileged()): Promise<void> {
    const served = await cachedList(session, kind, options);
    const expected = await direct.privileged().list(kind, options);
    expect(served.items, JSON.stringify(options)).to.deep.equal(expected.items);
    expect(BigInt(served.resourceVersion) > 0n).to.equal(true);
  }

  before(async function () {
    this.timeout(90 * 60_000);
    const controlPlane = await sharedControlPlane();
    direct = new KubernetesStore(adminKubeConfig(controlPlane));
    traffic = { lists: 0, openWatches: 0, accessChecks: 0 };
    cached = withReadCache(countingStore(new KubernetesStore(adminKubeConfig(controlPlane)), traffic), {
      logger: pino({ level: 'silent' }),
      accessSettleMs: 300,
    });
    newUser = async () => {
      const name = uniqueName('user');
      const pair = await controlPlane.issueUser(name, []);
      return { name, groups: [], credentials: { scheme: 'clientCert', ...pair } };
    };
    namespace = uniqueName('rc');
    // Sorts before `namespace` in the apiserver's key order (`-` < `/`), after it as a plain string.
    sibling = `${namespace}-b`;
    for (const name of [namespace, sibling]) await direct.privileged().create({ kind: 'Namespace', metadata: { name } });
  });

  after(async () => {
    await cached?.close();
    await direct?.close();
  });

  it('answers read-only lists as the apiserver does: namespace, name, label selectors (impossible ones too), key order', async () => {
    const server = direct.privileged();
    for (const ns of [namespace, sibling]) {
      await server.create(newApp(ns, { tier: 'web', color: 'blue' }, 'same-name'));
      await server.create(newApp(ns, { tier: 'worker' }));
      await server.create(newApp(ns, {}));
    }
    await untilCached('CFApp');
    await untilCached('ClusterRole');
    const selectors: LabelSelector[] = [
      [{ key: 'tier', operator: 'equals', value: 'web' }],
      [{ key: 'tier', operator: 'notEquals', value: 'web' }],
      [{ key: 'tier', operator: 'in', values: ['web', 'worker'] }],
      [{ key: 'tier', operator: 'notIn', values: ['worker'] }],
      [{ key: 'color', operator: 'exists' }],
      [{ key: 'color', operator: 'notExists' }],
      [
        { key: 'tier', operator: 'exists' },
        { key: 'color', operator: 'notEquals', value: 'blue' },
      ],
      // Impossible: no label can have these values or keys.
      [{ key: 'tier', operator: 'in', values: [] }],
      [{ key: 'tier', operator: 'equals', value: 'a,b=c' }],
      [{ key: 'not a key!', operator: 'exists' }],
      [{ key: 'tier', operator: 'notEquals', value: 'a,b=c' }],
      [{ key: 'not a key!', operator: 'notExists' }],
    ];
    const cases: ListOptions[] = [
      {},
      { namespace },
      { namespace: sibling },
      { namespace: uniqueName('absent') },
      { namespace, name: 'same-name' },
      { name: 'same-name' },
      { namespace, name: 'absent' },
      { namespace: '..' },
      { namespace, name: 'a/b' },
      ...selectors.flatMap((labelSelector) => [{ namespace, labelSelector }, { labelSelector }]),
    ];
    for (const options of cases) await expectSameLists('CFApp', options);
    // A cluster-scoped kind ignores the namespace, as the apiserver does.
    await expectSameLists('ClusterRole', { namespace });
    await expectSameLists('ClusterRole', { name: 'cluster-admin' });
    // And the plain ones were answered by the cache, not the store.
    expect((await cachedList(cached.privileged(), 'CFApp', { labelSelector: selectors[0]! })).fromStore).to.equal(false);
    expect((await cachedList(cached.privileged(), 'CFApp', { namespace, name: 'same-name' })).fromStore).to.equal(false);
    const all = await cachedList(cached.privileged(), 'CFApp', {});
    expect(all.fromStore).to.equal(false);
    expect(all.items.findIndex((app) => app.metadata.namespace === sibling)).to.be.lessThan(
      all.items.findIndex((app) => app.metadata.namespace === namespace),
    );
    // Cached objects are shared: frozen.
    expect(Object.isFrozen(all.items[0]!.metadata)).to.equal(true);
  });

  it('shows its own writes in the very next list: create, patch, status, delete', async () => {
    const session = cached.privileged();
    await untilCached('CFApp');
    const app = await session.create(newApp(namespace, { step: 'created' }));
    const ref = { kind: 'CFApp', namespace, name: app.metadata.name } as const;
    const find = async () => {
      const list = await cachedList(session, 'CFApp', { namespace });
      expect(list.fromStore, 'served from the cache').to.equal(false);
      return list.items.find((item) => item.metadata.name === app.metadata.name);
    };
    expect((await find())?.metadata.labels?.['step']).to.equal('created');
    await session.patch(ref, { metadata: { labels: { step: 'patched' } } });
    expect((await find())?.metadata.labels?.['step']).to.equal('patched');
    const labelled = await cachedList(session, 'CFApp', {
      namespace,
      labelSelector: [{ key: 'step', operator: 'equals', value: 'patched' }],
    });
    expect(labelled.items.map((item) => item.metadata.name)).to.deep.equal([app.metadata.name]);
    await session.patchStatus(ref, { actualState: 'STOPPED' });
    expect((await find())?.status?.actualState).to.equal('STOPPED');
    await session.delete(ref);
    const gone = await find();
    expect(gone === undefined || gone.metadata.deletionTimestamp !== undefined).to.equal(true);
  });

  it('refuses a user without a role as the apiserver does, at once after the role is granted or revoked through it', async () => {
    await untilCached('CFApp');
    const user = await newUser();
    const session = cached.as(user);
    const directError = await expectStoreError(direct.as(user).list('CFApp', { namespace }), 'Forbidden');
    const cachedError = await expectStoreError(session.list('CFApp', { namespace, ...readOnly }), 'Forbidden');
    expect(cachedError.message).to.equal(directError.message);
    // Once the RBAC caches are in sync, the refusal is kept: no access check reaches the store.
    const refusedWithoutCheck = async (): Promise<boolean> => {
      const before = traffic.accessChecks;
      await expectStoreError(session.list('CFApp', { namespace, ...readOnly }), 'Forbidden');
      return traffic.accessChecks === before;
    };
    for (const started = Date.now(); !(await refusedWithoutCheck()); await sleep(20)) {
      expect(Date.now() - started, 'the refusal was never kept').to.be.lessThan(10_000);
    }
    // Granted through the cache's store: the next list sees the objects.
    const server = cached.privileged();
    const name = uniqueName('reader');
    await server.create({
      kind: 'Role',
      metadata: { name, namespace },
      rules: [{ apiGroups: ['korifi.cloudfoundry.org'], resources: ['cfapps'], verbs: ['list'] }],
    });
    const binding = await server.create({
      kind: 'RoleBinding',
      metadata: { name, namespace },
      subjects: [{ kind: 'User', name: user.name, apiGroup: 'rbac.authorization.k8s.io' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    });
    const granted = await cachedList(session, 'CFApp', { namespace });
    expect(granted.fromStore).to.equal(false);
    expect(granted.items).to.deep.equal((await direct.as(user).list('CFApp', { namespace })).items);
    // Once the authorizer has had time to see the change, the permission is kept in turn: a second list makes no access check.
    await sleep(350);
    await session.list('CFApp', { namespace, ...readOnly });
    const checks = traffic.accessChecks;
    await session.list('CFApp', { namespace, ...readOnly });
    expect(traffic.accessChecks).to.equal(checks);
    // Still refused elsewhere.
    await expectStoreError(session.list('CFApp', { namespace: sibling, ...readOnly }), 'Forbidden');
    await expectStoreError(session.list('CFApp', readOnly), 'Forbidden');
    // Revoked through it: refused in the very next list.
    await server.delete({ kind: 'RoleBinding', namespace, name: binding.metadata.name });
    await expectStoreError(session.list('CFApp', { namespace, ...readOnly }), 'Forbidden');
  });

  it('shows a write made by another replica once its watch event arrives', async () => {
    await untilCached('CFApp');
    const other = withReadCache(new KubernetesStore(adminKubeConfig(await sharedControlPlane())), { logger: pino({ level: 'silent' }) });
    try {
      const app = await other.privileged().create(newApp(namespace, { from: 'replica' }));
      for (const started = Date.now(); ; await sleep(20)) {
        const list = await cachedList(cached.privileged(), 'CFApp', {
          namespace,
          labelSelector: [{ key: 'from', operator: 'equals', value: 'replica' }],
        });
        if (list.items.some((item) => item.metadata.name === app.metadata.name)) {
          expect(list.fromStore).to.equal(false);
          break;
        }
        expect(Date.now() - started, "the other replica's write did not show within 5 s").to.be.lessThan(5000);
      }
    } finally {
      await other.close();
    }
  });

  it('leaves non-read-only lists and Secrets to the store', async () => {
    await untilCached('CFApp');
    const session = cached.privileged();
    await session.create(newSecret(namespace));
    let before = traffic.lists;
    await session.list('CFApp', { namespace });
    expect(traffic.lists).to.equal(before + 1);
    before = traffic.lists;
    const secrets = await session.list('Secret', { namespace, ...readOnly });
    await session.list('Secret', { namespace, ...readOnly });
    expect(traffic.lists).to.equal(before + 2);
    expect(secrets.items).to.have.length(1);
    expect(Object.isFrozen(secrets.items[0])).to.equal(false);
  });

  it('stops every watch when closed', async () => {
    const counts = { lists: 0, openWatches: 0, accessChecks: 0 };
    const store = withReadCache(countingStore(new KubernetesStore(adminKubeConfig(await sharedControlPlane())), counts), {
      logger: pino({ level: 'silent' }),
    });
    const user = await newUser();
    // CFApp's and CFSpace's, then the four RBAC kinds' (a user's list checks access once CFSpace's is in sync).
    for (const started = Date.now(); counts.openWatches < 6 && Date.now() - started < 10_000; await sleep(20)) {
      await store.privileged().list('CFApp', readOnly);
      await store
        .as(user)
        .list('CFSpace', readOnly)
        .catch(() => undefined);
    }
    expect(counts.openWatches).to.equal(6);
    await store.close();
    expect(counts.openWatches).to.equal(0);
  });
});
