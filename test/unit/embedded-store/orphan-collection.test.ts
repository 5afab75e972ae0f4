import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { NewObject, OwnerReference, StoredObject } from '../../../src/store/objects.ts';
import { app, eventCollector, exists, namespace, ownedSecret, settle, testStore, type TestStore } from './store-fixtures.ts';

const cfAppVersion = 'korifi.cloudfoundry.org/v1alpha1';

function secretOwnedBy(name: string, ownerReferences: OwnerReference[], finalizers?: string[]): NewObject<'Secret'> {
  return {
    kind: 'Secret',
    metadata: { name, namespace: 'space-1', ownerReferences, ...(finalizers === undefined ? {} : { finalizers }) },
    stringData: { key: 'value' },
  };
}

const referenceTo = (owner: StoredObject): OwnerReference => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.metadata.name,
  uid: owner.metadata.uid!,
});

describe('embedded store: garbage collection of objects without owners', () => {
  let t: TestStore;
  let owner: StoredObject<'CFApp'>;
  beforeEach(async () => {
    t = await testStore();
    await t.admin.createAll([namespace('space-1'), namespace('space-2')]);
    owner = await t.admin.create(app('space-1', 'app-1'));
  });
  afterEach(async () => t.dispose());

  it('lets the create succeed, then deletes an object whose only owner does not exist', async () => {
    const collector = eventCollector<'Secret'>();
    const watch = await t.admin.watch('Secret', { namespace: 'space-1', resourceVersion: '1' }, collector.onEvent);
    const dangling = { ...referenceTo(owner), name: 'gone', uid: randomUUID() };
    const created = await t.admin.create(secretOwnedBy('dangling', [dangling]));
    expect(created.metadata.name).to.equal('dangling');
    expect(await exists(t.admin, 'Secret', 'dangling', 'space-1')).to.equal(true);
    await collector.count(2);
    expect(collector.summary()).to.deep.equal(['ADDED dangling', 'DELETED dangling']);
    expect(await exists(t.admin, 'Secret', 'dangling', 'space-1')).to.equal(false);
    watch.stop();
  });

  it('matches owners by uid: an owner of that name with another uid is no owner', async () => {
    await t.admin.create(secretOwnedBy('namesake', [{ ...referenceTo(owner), uid: randomUUID() }]));
    await t.admin.create(ownedSecret(owner, 'owned'));
    await settle();
    expect(await exists(t.admin, 'Secret', 'namesake', 'space-1')).to.equal(false);
    expect(await exists(t.admin, 'Secret', 'owned', 'space-1')).to.equal(true);
  });

  it('looks for a namespaced owner in the dependent’s namespace only', async () => {
    const elsewhere = await t.admin.create(app('space-2', 'app-2'));
    await t.admin.create(secretOwnedBy('foreign-owner', [referenceTo(elsewhere)]));
    await settle();
    expect(await exists(t.admin, 'Secret', 'foreign-owner', 'space-1')).to.equal(false);
  });

  it('finds cluster-scoped owners from any namespace, and collects cluster-scoped objects too', async () => {
    const space = await t.admin.get({ kind: 'Namespace', name: 'space-1' });
    await t.admin.create(secretOwnedBy('owned-by-namespace', [referenceTo(space)]));
    await t.admin.create({
      kind: 'ClusterRole',
      metadata: { name: 'orphan', ownerReferences: [{ ...referenceTo(space), name: 'no-such-namespace', uid: randomUUID() }] },
    });
    await settle();
    expect(await exists(t.admin, 'Secret', 'owned-by-namespace', 'space-1')).to.equal(true);
    expect(await exists(t.admin, 'ClusterRole', 'orphan')).to.equal(false);
  });

  it('keeps an object with an owner left, dropping its references to absent ones', async () => {
    await t.admin.create(secretOwnedBy('mixed', [referenceTo(owner), { ...referenceTo(owner), name: 'gone', uid: randomUUID() }]));
    await settle();
    const kept = await t.admin.get({ kind: 'Secret', namespace: 'space-1', name: 'mixed' });
    expect(kept.metadata.ownerReferences).to.deep.equal([referenceTo(owner)]);
  });

  it('honours finalizers: the orphan is only marked for deletion', async () => {
    await t.admin.create(secretOwnedBy('held', [{ ...referenceTo(owner), uid: randomUUID() }], ['example.com/keep']));
    await settle();
    const held = await t.admin.get({ kind: 'Secret', namespace: 'space-1', name: 'held' });
    expect(held.metadata.deletionTimestamp).to.be.a('string');
  });

  it('checks again when an update changes the owners', async () => {
    await t.admin.create(ownedSecret(owner, 'repointed'));
    await t.admin.patch(
      { kind: 'Secret', namespace: 'space-1', name: 'repointed' },
      { metadata: { ownerReferences: [{ ...referenceTo(owner), uid: randomUUID() }] } },
    );
    await settle();
    expect(await exists(t.admin, 'Secret', 'repointed', 'space-1')).to.equal(false);
  });

  it('leaves alone what the collector cannot resolve: unknown kinds, other versions, namespaced owners of cluster objects', async () => {
    const absent = { name: 'gone', uid: randomUUID() };
    await t.admin.create(secretOwnedBy('unknown-kind', [{ apiVersion: 'example.com/v1', kind: 'Widget', ...absent }]));
    await t.admin.create(secretOwnedBy('other-version', [{ apiVersion: 'korifi.cloudfoundry.org/v2', kind: 'CFApp', ...absent }]));
    await t.admin.create(secretOwnedBy('other-group', [{ apiVersion: 'v1', kind: 'CFApp', ...absent }]));
    await t.admin.create({
      kind: 'ClusterRole',
      metadata: { name: 'namespaced-owner', ownerReferences: [{ apiVersion: cfAppVersion, kind: 'CFApp', ...absent }] },
    });
    await settle();
    for (const name of ['unknown-kind', 'other-version', 'other-group'])
      expect(await exists(t.admin, 'Secret', name, 'space-1')).to.equal(true);
    expect(await exists(t.admin, 'ClusterRole', 'namespaced-owner')).to.equal(true);
  });

  it('drops a pending collection quietly when the store closes first', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    await t.admin.create(secretOwnedBy('late', [{ ...referenceTo(owner), uid: randomUUID() }]));
    await t.store.close();
    await settle();
    process.off('warning', onWarning);
    expect(warnings).to.deep.equal([]);
    await t.reopen();
    expect(t.store.integrityCheck()).to.deep.equal(['ok']);
  });
});
