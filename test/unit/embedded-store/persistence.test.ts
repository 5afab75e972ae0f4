import { expect } from 'chai';
import { openEmbeddedStore } from '../../../src/store/embedded/embedded-store.ts';
import { app, eventCollector, exists, namespace, rejection, settle, testStore, type TestStore } from './store-fixtures.ts';

describe('embedded store: persistence and transactions', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await testStore();
    await t.admin.create(namespace('space-1'));
  });
  afterEach(async () => t.dispose());

  it('keeps objects, labels and the resourceVersion counter across a reopen', async () => {
    const created = await t.admin.create(app('space-1', 'app-1', { labels: { tier: 'web' } }));
    await t.admin.delete({ kind: 'Namespace', name: 'space-1' });
    await t.admin.create(namespace('space-1'));
    const before = await t.admin.create(app('space-1', 'app-1', { labels: { tier: 'web' } }));
    await t.reopen();
    expect(await t.admin.get({ kind: 'CFApp', namespace: 'space-1', name: 'app-1' })).to.deep.equal(before);
    expect((await t.admin.list('CFApp', { labelSelector: [{ key: 'tier', operator: 'equals', value: 'web' }] })).items).to.deep.equal([
      before,
    ]);
    const after = await t.admin.create(app('space-1', 'app-2'));
    expect(Number(after.metadata.resourceVersion)).to.equal(Number(before.metadata.resourceVersion) + 1);
    expect(after.metadata.uid).not.to.equal(created.metadata.uid);
  });

  it('keeps deletions and RBAC across a reopen', async () => {
    await t.admin.create(app('space-1', 'gone'));
    await t.admin.delete({ kind: 'CFApp', namespace: 'space-1', name: 'gone' });
    await t.admin.create({
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get'] }],
    });
    await t.admin.create({
      kind: 'ClusterRoleBinding',
      metadata: { name: 'reader' },
      subjects: [{ kind: 'User', name: 'alice' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' },
    });
    await t.reopen();
    expect(await exists(t.admin, 'CFApp', 'gone', 'space-1')).to.equal(false);
    await t.store
      .as({ name: 'alice', groups: [], credentials: { scheme: 'bearer', token: 't' } })
      .get({ kind: 'Namespace', name: 'space-1' });
  });

  it('does not bump the resourceVersion for writes that change nothing', async () => {
    await t.admin.create(app('space-1', 'app-1', { labels: { a: 'b' } }));
    const ref = { kind: 'CFApp' as const, namespace: 'space-1', name: 'app-1' };
    const created = await t.admin.patchStatus(ref, { actualState: 'STOPPED' });
    const collector = eventCollector<'CFApp'>();
    const watch = await t.admin.watch('CFApp', { resourceVersion: created.metadata.resourceVersion! }, collector.onEvent);
    await t.admin.update(created);
    await t.admin.patch(ref, { metadata: { labels: { a: 'b' } } });
    await t.admin.patchStatus(ref, { actualState: 'STOPPED' });
    await t.admin.updateStatus(created);
    await t.admin.delete({ kind: 'CFApp', namespace: 'space-1', name: 'missing' }).catch(() => {});
    await settle();
    expect(collector.events).to.deep.equal([]);
    expect((await t.admin.list('CFApp')).resourceVersion).to.equal(created.metadata.resourceVersion);
    await t.reopen();
    expect((await t.admin.list('CFApp')).resourceVersion).to.equal(created.metadata.resourceVersion);
    watch.stop();
  });

  it('rolls createAll back entirely when one object fails', async () => {
    await t.admin.create(app('space-1', 'taken'));
    const { resourceVersion } = await t.admin.list('CFApp');
    const collector = eventCollector<'CFApp'>();
    const watch = await t.admin.watch('CFApp', { resourceVersion }, collector.onEvent);
    const { reason } = await rejection(t.admin.createAll([app('space-1', 'first'), app('space-1', 'second'), app('space-1', 'taken')]));
    expect(reason).to.equal('AlreadyExists');
    expect(await exists(t.admin, 'CFApp', 'first', 'space-1')).to.equal(false);
    expect(await exists(t.admin, 'CFApp', 'second', 'space-1')).to.equal(false);
    expect((await t.admin.list('CFApp')).resourceVersion).to.equal(resourceVersion);
    await settle();
    expect(collector.events).to.deep.equal([]);
    const next = await t.admin.create(app('space-1', 'first'));
    expect(Number(next.metadata.resourceVersion)).to.equal(Number(resourceVersion) + 1);
    watch.stop();
  });

  it('creates a namespace and its content in one createAll', async () => {
    const created = await t.admin.createAll([namespace('space-2'), app('space-2', 'app-1')]);
    expect(created.map((object) => object.kind)).to.deep.equal(['Namespace', 'CFApp']);
  });

  it('keeps a second store off the same file', async () => {
    const { reason } = await rejection(openEmbeddedStore({ file: t.file }));
    expect(reason).to.equal('Unavailable');
    await t.admin.create(app('space-1', 'still-writable'));
  });

  it('refuses calls after close', async () => {
    await t.store.close();
    expect((await rejection(t.admin.get({ kind: 'Namespace', name: 'space-1' }))).reason).to.equal('Unavailable');
    await t.reopen();
  });

  it('reports a sound file', async () => {
    expect(t.store.integrityCheck()).to.deep.equal(['ok']);
  });

  it('opens with power-loss durability too', async () => {
    await t.reopen({ durability: 'power-loss' });
    await t.admin.create(app('space-1', 'durable'));
    await t.reopen();
    expect(await exists(t.admin, 'CFApp', 'durable', 'space-1')).to.equal(true);
  });
});
