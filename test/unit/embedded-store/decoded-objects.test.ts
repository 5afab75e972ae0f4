import { expect } from 'chai';
import { app, namespace, rejection, testStore, type TestStore } from './store-fixtures.ts';

/** The embedded store keeps decoded objects between reads; what each reader sees must not change for that. */
describe('embedded store: decoded objects kept between reads', () => {
  let t: TestStore;
  const ref = { kind: 'CFApp', namespace: 'space-1', name: 'app-1' } as const;

  beforeEach(async () => {
    t = await testStore();
    await t.admin.createAll([namespace('space-1'), app('space-1', 'app-1'), app('space-1', 'app-2')]);
  });
  afterEach(() => t.dispose());

  it('hands readOnly lists frozen objects, so that changing one throws', async () => {
    const [first] = (await t.admin.list('CFApp', { namespace: 'space-1', readOnly: true })).items;
    expect(Object.isFrozen(first)).to.equal(true);
    expect(Object.isFrozen(first!.spec)).to.equal(true);
    expect(() => {
      first!.spec.displayName = 'changed';
    }).to.throw(TypeError);
    expect((await t.admin.get(ref)).spec.displayName).to.equal('app-1');
  });

  it('gives other lists and gets copies the caller may change, whatever was read shared before', async () => {
    await t.admin.list('CFApp', { readOnly: true });
    const listed = (await t.admin.list('CFApp', { namespace: 'space-1' })).items[0]!;
    const got = await t.admin.get(ref);
    expect(Object.isFrozen(listed)).to.equal(false);
    listed.spec.displayName = 'listed';
    got.metadata.labels = { changed: 'yes' };
    got.spec.lifecycle.data.stack = 'changed';
    const again = (await t.admin.list('CFApp', { namespace: 'space-1', readOnly: true })).items[0]!;
    expect(again.spec.displayName).to.equal('app-1');
    expect(again.metadata.labels).to.equal(undefined);
    expect(again.spec.lifecycle.data.stack).to.equal('cflinuxfs4');
  });

  it('shows every write to the next read, shared or not', async () => {
    await t.admin.list('CFApp', { readOnly: true });
    await t.admin.get(ref);
    const current = await t.admin.get(ref);
    current.spec.displayName = 'renamed';
    const updated = await t.admin.update(current);
    expect((await t.admin.get(ref)).spec.displayName).to.equal('renamed');
    const shared = (await t.admin.list('CFApp', { namespace: 'space-1', readOnly: true })).items;
    expect(shared.map((item) => item.spec.displayName)).to.deep.equal(['renamed', 'app-2']);
    expect(shared[0]!.metadata.resourceVersion).to.equal(updated.metadata.resourceVersion);
    await t.admin.patch(ref, { metadata: { labels: { tier: 'web' } } });
    expect((await t.admin.list('CFApp', { labelSelector: [{ key: 'tier', operator: 'exists' }], readOnly: true })).items).to.have.length(1);
    await t.admin.delete(ref);
    expect((await t.admin.list('CFApp', { readOnly: true })).items.map((item) => item.metadata.name)).to.deep.equal(['app-2']);
    await t.admin.create(app('space-1', 'app-1'));
    const recreated = (await t.admin.list('CFApp', { namespace: 'space-1', readOnly: true })).items[0]!;
    expect(recreated.metadata.uid).not.to.equal(updated.metadata.uid);
  });

  it('lists the same query again after any write of its kind, never from an older answer', async () => {
    const tier = { labelSelector: [{ key: 'tier', operator: 'equals' as const, value: 'web' }], readOnly: true };
    expect((await t.admin.list('CFApp', tier)).items).to.have.length(0);
    expect((await t.admin.list('CFApp', { namespace: 'space-1', readOnly: true })).items).to.have.length(2);
    await t.admin.patch({ ...ref, name: 'app-2' }, { metadata: { labels: { tier: 'web' } } });
    expect((await t.admin.list('CFApp', tier)).items.map((item) => item.metadata.name)).to.deep.equal(['app-2']);
    await t.admin.create(app('space-1', 'app-0', { labels: { tier: 'web' } }));
    expect((await t.admin.list('CFApp', tier)).items.map((item) => item.metadata.name)).to.deep.equal(['app-0', 'app-2']);
    expect((await t.admin.list('CFApp', { namespace: 'space-1', readOnly: true })).items).to.have.length(3);
    // A write of another kind leaves the answer as it is; one of this kind in another namespace is seen too.
    await t.admin.create(namespace('space-2'));
    await t.admin.create(app('space-2', 'app-9', { labels: { tier: 'web' } }));
    expect((await t.admin.list('CFApp', tier)).items.map((item) => item.metadata.name)).to.deep.equal(['app-0', 'app-2', 'app-9']);
    await t.admin.delete({ ...ref, name: 'app-0' });
    expect((await t.admin.list('CFApp', tier)).items.map((item) => item.metadata.name)).to.deep.equal(['app-2', 'app-9']);
  });

  it('keeps nothing a rolled-back write read or wrote', async () => {
    const before = (await t.admin.list('CFApp', { readOnly: true })).items;
    const current = await t.admin.get(ref);
    current.spec.displayName = 'never';
    // The second object of the batch fails (it exists), so the whole batch rolls back.
    const failed = t.admin.createAll([app('space-1', 'app-3'), app('space-1', 'app-2')]);
    expect((await rejection(failed)).reason).to.equal('AlreadyExists');
    const after = (await t.admin.list('CFApp', { readOnly: true })).items;
    expect(after.map((item) => item.metadata.name)).to.deep.equal(['app-1', 'app-2']);
    expect(after).to.deep.equal(before);
    await rejection(t.admin.update({ ...current, metadata: { ...current.metadata, resourceVersion: '1' } }));
    expect((await t.admin.get(ref)).spec.displayName).to.equal('app-1');
  });

  it('hands a readOnly get the shared frozen object, and other gets their own copy', async () => {
    const shared = await t.admin.get(ref, { readOnly: true });
    expect(Object.isFrozen(shared)).to.equal(true);
    expect(Object.isFrozen(shared.metadata)).to.equal(true);
    expect(await t.admin.get(ref, { readOnly: true })).to.equal(shared);
    const own = await t.admin.get(ref);
    expect(Object.isFrozen(own)).to.equal(false);
    expect(own).to.deep.equal(shared);
    own.spec.displayName = 'mine';
    expect((await t.admin.get(ref, { readOnly: true })).spec.displayName).to.equal('app-1');
  });

  it('shares one frozen array between readOnly lists until an object of the kind is written, status writes included', async () => {
    const options = { namespace: 'space-1', readOnly: true };
    const first = (await t.admin.list('CFApp', options)).items;
    expect(Object.isFrozen(first)).to.equal(true);
    expect((await t.admin.list('CFApp', options)).items).to.equal(first);
    expect((await t.admin.list('CFApp', { namespace: 'space-1' })).items).not.to.equal(first);
    // A write of another kind changes nothing here.
    await t.admin.create(namespace('space-2'));
    expect((await t.admin.list('CFApp', options)).items).to.equal(first);
    // A status write keeps the list's rows but not its objects.
    const current = await t.admin.get(ref);
    await t.admin.patchStatus(ref, { actualState: 'STOPPED' }, { resourceVersion: current.metadata.resourceVersion! });
    const afterStatus = (await t.admin.list('CFApp', options)).items;
    expect(afterStatus).not.to.equal(first);
    expect(afterStatus.map((item) => item.metadata.name)).to.deep.equal(['app-1', 'app-2']);
    expect(afterStatus[0]!.status?.actualState).to.equal('STOPPED');
    expect(afterStatus[1]).to.equal(first[1]);
    expect((await t.admin.get(ref, { readOnly: true })).status?.actualState).to.equal('STOPPED');
    // A write of the kind anywhere (here a new app in another namespace) hands every list of the kind out anew.
    await t.admin.create(app('space-2', 'app-9'));
    const grown = (await t.admin.list('CFApp', { readOnly: true })).items;
    expect(grown.map((item) => item.metadata.name)).to.deep.equal(['app-1', 'app-2', 'app-9']);
    expect((await t.admin.list('CFApp', options)).items).not.to.equal(afterStatus);
  });

  it('finds an object by its key after it was deleted and made again, and not after a create that rolled back', async () => {
    const before = await t.admin.get(ref, { readOnly: true });
    await t.admin.delete(ref);
    expect((await rejection(t.admin.get(ref))).reason).to.equal('NotFound');
    const made = await t.admin.create(app('space-1', 'app-1'));
    const again = await t.admin.get(ref, { readOnly: true });
    expect(again.metadata.uid).to.equal(made.metadata.uid).and.not.equal(before.metadata.uid);
    const failed = t.admin.createAll([app('space-1', 'app-3'), app('space-1', 'app-2')]);
    expect((await rejection(failed)).reason).to.equal('AlreadyExists');
    expect((await rejection(t.admin.get({ ...ref, name: 'app-3' }))).reason).to.equal('NotFound');
    await t.admin.create(app('space-1', 'app-3'));
    expect((await t.admin.get({ ...ref, name: 'app-3' })).metadata.name).to.equal('app-3');
  });

  it('reads the same after the store is opened again', async () => {
    const before = (await t.admin.list('CFApp', { readOnly: true })).items;
    await t.reopen();
    expect((await t.admin.list('CFApp', { readOnly: true })).items).to.deep.equal(before);
  });
});
