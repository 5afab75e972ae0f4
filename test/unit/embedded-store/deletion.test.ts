import { expect } from 'chai';
import { app, exists, namespace, ownedSecret, rejection, testStore, type TestStore } from './store-fixtures.ts';

const ref = { kind: 'CFApp' as const, namespace: 'space-1', name: 'app-1' };
const finalizer = 'korifi.cloudfoundry.org/cleanup';

describe('embedded store: deletion', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await testStore();
    await t.admin.create(namespace('space-1'));
  });
  afterEach(async () => t.dispose());

  it('removes an object without finalizers', async () => {
    await t.admin.create(app('space-1', 'app-1'));
    await t.admin.delete(ref);
    expect(await exists(t.admin, 'CFApp', 'app-1', 'space-1')).to.equal(false);
  });

  it('answers NotFound for a missing object', async () => {
    expect(await rejection(t.admin.delete(ref))).to.deep.equal({ reason: 'NotFound', message: 'cfapps "app-1" not found' });
  });

  it('answers Conflict when the precondition is stale', async () => {
    const created = await t.admin.create(app('space-1', 'app-1'));
    await t.admin.patch(ref, { metadata: { labels: { a: 'b' } } });
    expect((await rejection(t.admin.delete(ref, { resourceVersion: created.metadata.resourceVersion! }))).reason).to.equal('Conflict');
    expect(await exists(t.admin, 'CFApp', 'app-1', 'space-1')).to.equal(true);
  });

  describe('with finalizers', () => {
    beforeEach(async () => {
      await t.admin.create(app('space-1', 'app-1', { finalizers: [finalizer] }));
    });

    it('only marks the object: deletionTimestamp, and a new generation', async () => {
      await t.admin.delete(ref);
      const marked = await t.admin.get(ref);
      expect(marked.metadata.deletionTimestamp).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(marked.metadata.generation).to.equal(2);
      expect(marked.metadata.finalizers).to.deep.equal([finalizer]);
    });

    it('does nothing on a second delete', async () => {
      await t.admin.delete(ref);
      const marked = await t.admin.get(ref);
      await t.admin.delete(ref);
      expect(await t.admin.get(ref)).to.deep.equal(marked);
    });

    it('removes the object once a patch empties its finalizers', async () => {
      await t.admin.delete(ref);
      await t.admin.patch(ref, { metadata: { finalizers: null } });
      expect(await exists(t.admin, 'CFApp', 'app-1', 'space-1')).to.equal(false);
    });

    it('removes the object once an update empties its finalizers', async () => {
      await t.admin.delete(ref);
      const marked = await t.admin.get(ref);
      marked.metadata.finalizers = [];
      await t.admin.update(marked);
      expect(await exists(t.admin, 'CFApp', 'app-1', 'space-1')).to.equal(false);
    });

    it('keeps an object that is not being deleted when its finalizers go', async () => {
      await t.admin.patch(ref, { metadata: { finalizers: null } });
      expect(await exists(t.admin, 'CFApp', 'app-1', 'space-1')).to.equal(true);
    });

    it('refuses new finalizers on an object being deleted', async () => {
      await t.admin.delete(ref);
      const { reason, message } = await rejection(t.admin.patch(ref, { metadata: { finalizers: [finalizer, 'example.com/another'] } }));
      expect(reason).to.equal('Invalid');
      expect(message).to.contain('no new finalizers can be added if the object is being deleted');
    });

    it('keeps the deletionTimestamp through updates', async () => {
      await t.admin.delete(ref);
      const marked = await t.admin.get(ref);
      const updated = await t.admin.update({ ...marked, metadata: { ...marked.metadata, deletionTimestamp: '2000-01-01T00:00:00Z' } });
      expect(updated.metadata.deletionTimestamp).to.equal(marked.metadata.deletionTimestamp);
    });
  });

  describe('cascade', () => {
    it('deletes the dependents of a deleted owner', async () => {
      const owner = await t.admin.create(app('space-1', 'app-1'));
      await t.admin.create(ownedSecret(owner, 'env'));
      await t.admin.delete(ref);
      expect(await exists(t.admin, 'Secret', 'env', 'space-1')).to.equal(false);
    });

    it('waits for the owner to be gone, not just marked', async () => {
      const owner = await t.admin.create(app('space-1', 'app-1', { finalizers: [finalizer] }));
      await t.admin.create(ownedSecret(owner, 'env'));
      await t.admin.delete(ref);
      expect(await exists(t.admin, 'Secret', 'env', 'space-1')).to.equal(true);
      await t.admin.patch(ref, { metadata: { finalizers: null } });
      expect(await exists(t.admin, 'Secret', 'env', 'space-1')).to.equal(false);
    });

    it('honours the finalizers of dependents and cascades recursively', async () => {
      const owner = await t.admin.create(app('space-1', 'app-1'));
      const child = await t.admin.create({ ...app('space-1', 'child'), metadata: { ...ownedSecret(owner, 'child').metadata } });
      await t.admin.create(ownedSecret(child, 'grandchild'));
      await t.admin.create(ownedSecret(owner, 'held', [finalizer]));
      await t.admin.delete(ref);
      expect(await exists(t.admin, 'CFApp', 'child', 'space-1')).to.equal(false);
      expect(await exists(t.admin, 'Secret', 'grandchild', 'space-1')).to.equal(false);
      const held = await t.admin.get({ kind: 'Secret', namespace: 'space-1', name: 'held' });
      expect(held.metadata.deletionTimestamp).to.be.a('string');
    });

    it('keeps a dependent that still has another owner, dropping the reference to the gone one', async () => {
      const first = await t.admin.create(app('space-1', 'app-1'));
      const second = await t.admin.create(app('space-1', 'app-2'));
      const secret = ownedSecret(first, 'shared');
      secret.metadata.ownerReferences!.push(ownedSecret(second, 'x').metadata.ownerReferences![0]!);
      await t.admin.create(secret);
      await t.admin.delete(ref);
      const kept = await t.admin.get({ kind: 'Secret', namespace: 'space-1', name: 'shared' });
      expect(kept.metadata.ownerReferences!.map((reference) => reference.name)).to.deep.equal(['app-2']);
      await t.admin.delete({ ...ref, name: 'app-2' });
      expect(await exists(t.admin, 'Secret', 'shared', 'space-1')).to.equal(false);
    });

    it('matches owners by uid, not by name', async () => {
      const first = await t.admin.create(app('space-1', 'app-1'));
      await t.admin.create(ownedSecret(first, 'of-first'));
      await t.admin.delete(ref);
      const second = await t.admin.create(app('space-1', 'app-1'));
      await t.admin.create(ownedSecret(second, 'of-second'));
      expect(await exists(t.admin, 'Secret', 'of-first', 'space-1')).to.equal(false);
      expect(await exists(t.admin, 'Secret', 'of-second', 'space-1')).to.equal(true);
    });
  });

  describe('namespaces', () => {
    it('deletes a namespace with everything in it', async () => {
      await t.admin.create(namespace('space-2'));
      await t.admin.createAll([
        app('space-1', 'app-1'),
        { kind: 'Secret', metadata: { name: 's', namespace: 'space-1' } },
        app('space-2', 'other'),
      ]);
      await t.admin.delete({ kind: 'Namespace', name: 'space-1' });
      expect(await exists(t.admin, 'Namespace', 'space-1')).to.equal(false);
      expect((await t.admin.list('CFApp')).items.map((item) => item.metadata.name)).to.deep.equal(['other']);
      expect((await t.admin.list('Secret')).items).to.deep.equal([]);
    });

    it('stays Terminating while content with finalizers remains, refusing new content', async () => {
      await t.admin.create(app('space-1', 'app-1', { finalizers: [finalizer] }));
      await t.admin.delete({ kind: 'Namespace', name: 'space-1' });
      const terminating = await t.admin.get({ kind: 'Namespace', name: 'space-1' });
      expect(terminating.status).to.deep.equal({ phase: 'Terminating' });
      expect(terminating.metadata.deletionTimestamp).to.be.a('string');
      expect((await t.admin.get(ref)).metadata.deletionTimestamp).to.be.a('string');

      const { reason, message } = await rejection(t.admin.create(app('space-1', 'app-2')));
      expect(reason).to.equal('Forbidden');
      expect(message).to.contain('unable to create new content in namespace space-1 because it is being terminated');
      expect((await rejection(t.admin.delete({ kind: 'Namespace', name: 'space-1' }))).reason).to.equal('Conflict');

      await t.admin.patch(ref, { metadata: { finalizers: null } });
      expect(await exists(t.admin, 'CFApp', 'app-1', 'space-1')).to.equal(false);
      expect(await exists(t.admin, 'Namespace', 'space-1')).to.equal(false);
    });

    it('waits for the namespace finalizers of its own', async () => {
      await t.admin.create({ kind: 'Namespace', metadata: { name: 'held', finalizers: ['example.com/keep'] } });
      await t.admin.delete({ kind: 'Namespace', name: 'held' });
      const held = await t.admin.get({ kind: 'Namespace', name: 'held' });
      expect(held.spec).to.deep.equal({ finalizers: [] });
      await t.admin.patch({ kind: 'Namespace', name: 'held' }, { metadata: { finalizers: null } });
      expect(await exists(t.admin, 'Namespace', 'held')).to.equal(false);
    });

    it('allows a namespace of the same name again once it is gone', async () => {
      await t.admin.create(app('space-1', 'app-1'));
      await t.admin.delete({ kind: 'Namespace', name: 'space-1' });
      await t.admin.create(namespace('space-1'));
      expect((await t.admin.list('CFApp', { namespace: 'space-1' })).items).to.deep.equal([]);
    });
  });
});
