import { expect } from 'chai';
import type { StoredObject } from '../../../src/store/objects.ts';
import { app, namespace, rejection, testStore, type TestStore } from './store-fixtures.ts';

const ref = { kind: 'CFApp' as const, namespace: 'space-1', name: 'app-1' };

describe('embedded store: update, patch and status', () => {
  let t: TestStore;
  let created: StoredObject<'CFApp'>;
  beforeEach(async () => {
    t = await testStore();
    await t.admin.create(namespace('space-1'));
    created = await t.admin.create(app('space-1', 'app-1', { labels: { tier: 'web' } }));
  });
  afterEach(async () => t.dispose());

  describe('update', () => {
    it('replaces the object and bumps generation for a spec change', async () => {
      const changed = structuredClone(created);
      changed.spec.desiredState = 'STARTED';
      const updated = await t.admin.update(changed);
      expect(updated.spec.desiredState).to.equal('STARTED');
      expect(updated.metadata.generation).to.equal(2);
      expect(Number(updated.metadata.resourceVersion)).to.be.greaterThan(Number(created.metadata.resourceVersion));
      expect(updated.metadata.uid).to.equal(created.metadata.uid);
      expect(updated.metadata.creationTimestamp).to.equal(created.metadata.creationTimestamp);
    });

    it('keeps generation for a metadata-only change', async () => {
      const relabelled = structuredClone(created);
      relabelled.metadata.labels = { tier: 'worker' };
      relabelled.metadata.annotations = { note: 'x' };
      const updated = await t.admin.update(relabelled);
      expect(updated.metadata.generation).to.equal(1);
      expect(updated.metadata.labels).to.deep.equal({ tier: 'worker' });
    });

    it('needs the resourceVersion it read', async () => {
      const withoutVersion = structuredClone(created);
      delete withoutVersion.metadata.resourceVersion;
      const { reason, message } = await rejection(t.admin.update(withoutVersion));
      expect(reason).to.equal('Invalid');
      expect(message).to.contain('metadata.resourceVersion: Invalid value: 0x0: must be specified for an update');
    });

    it('answers Conflict for a stale resourceVersion, even when nothing would change', async () => {
      const stale = structuredClone(created);
      await t.admin.patch(ref, { spec: { desiredState: 'STARTED' } });
      expect(await rejection(t.admin.update(stale))).to.deep.equal({
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on cfapps "app-1": the object has been modified; please apply your changes to the latest version and try again',
      });
    });

    it('answers NotFound for a missing object', async () => {
      const gone = { ...structuredClone(created), metadata: { ...created.metadata, name: 'other' } };
      expect((await rejection(t.admin.update(gone))).reason).to.equal('NotFound');
    });

    it('ignores status and server-owned metadata', async () => {
      await t.admin.patchStatus(ref, { actualState: 'STOPPED' });
      const current = await t.admin.get(ref);
      const tampered = structuredClone(current);
      tampered.status = { actualState: 'STARTED' };
      tampered.metadata.generation = 42;
      tampered.metadata.creationTimestamp = '2000-01-01T00:00:00Z';
      tampered.metadata.labels = { tier: 'db' };
      const updated = await t.admin.update(tampered);
      expect(updated.status).to.deep.equal({ actualState: 'STOPPED' });
      expect(updated.metadata.generation).to.equal(1);
      expect(updated.metadata.creationTimestamp).to.equal(created.metadata.creationTimestamp);
      expect(updated.metadata.labels).to.deep.equal({ tier: 'db' });
    });

    it('takes the uid as a precondition, checked before the resourceVersion', async () => {
      const tampered = structuredClone(created);
      tampered.metadata.uid = 'another';
      expect(await rejection(t.admin.update(tampered))).to.deep.equal({
        reason: 'Conflict',
        message: `Operation cannot be fulfilled on cfapps "app-1": Precondition failed: UID in precondition: another, UID in object meta: ${created.metadata.uid}`,
      });
      expect((await rejection(t.admin.update({ ...tampered, metadata: { ...tampered.metadata, resourceVersion: '1' } }))).message).to.match(
        /UID in precondition/,
      );
      expect((await rejection(t.admin.updateStatus(tampered))).reason).to.equal('Conflict');
      const { uid: _uid, ...withoutUid } = created.metadata;
      void _uid;
      await t.admin.update({ ...created, metadata: { ...withoutUid, labels: { tier: 'db' } } });
    });

    it('refuses a change of uid in a patch as an immutable field', async () => {
      expect((await rejection(t.admin.patch(ref, { metadata: { uid: 'another' } }))).reason).to.equal('Invalid');
    });

    it('does not bump the resourceVersion when nothing changes', async () => {
      const same = await t.admin.update(structuredClone(created));
      expect(same).to.deep.equal(created);
      expect((await t.admin.list('CFApp')).resourceVersion).to.equal(created.metadata.resourceVersion);
    });

    it('treats empty metadata maps as absent, as the apiserver does', async () => {
      const withEmpties = structuredClone(created);
      withEmpties.metadata.annotations = {};
      withEmpties.metadata.finalizers = [];
      const same = await t.admin.update(withEmpties);
      expect(same.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
      expect(same.metadata).not.to.have.property('annotations');
    });

    it('replaces all of a kind without a status subresource', async () => {
      const secret = await t.admin.create({ kind: 'Secret', metadata: { name: 's', namespace: 'space-1' }, stringData: { a: '1' } });
      const changed = { ...secret, data: {}, stringData: { b: '2' } };
      const updated = await t.admin.update(changed);
      expect(updated.data).to.deep.equal({ b: Buffer.from('2').toString('base64') });
      expect(updated).not.to.have.property('stringData');
    });

    it('keeps RoleBinding roleRefs and Secret types immutable', async () => {
      const binding = await t.admin.create({
        kind: 'RoleBinding',
        metadata: { name: 'b', namespace: 'space-1' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'x' },
      });
      expect((await rejection(t.admin.update({ ...binding, roleRef: { ...binding.roleRef, name: 'y' } }))).reason).to.equal('Invalid');
      const secret = await t.admin.create({ kind: 'Secret', metadata: { name: 's', namespace: 'space-1' } });
      expect((await rejection(t.admin.update({ ...secret, type: 'kubernetes.io/tls' }))).reason).to.equal('Invalid');
    });

    it('keeps the spec and status of a namespace', async () => {
      const stored = await t.admin.get({ kind: 'Namespace', name: 'space-1' });
      const updated = await t.admin.update({
        ...stored,
        spec: { finalizers: [] },
        status: { phase: 'Terminating' },
        metadata: { ...stored.metadata, labels: {} },
      });
      expect(updated.spec).to.deep.equal({ finalizers: ['kubernetes'] });
      expect(updated.status).to.deep.equal({ phase: 'Active' });
      expect(updated.metadata.labels).to.deep.equal({ 'kubernetes.io/metadata.name': 'space-1' });
    });
  });

  describe('patch', () => {
    it('merge-patches the object', async () => {
      const patched = await t.admin.patch(ref, { metadata: { labels: { tier: null, env: 'prod' } }, spec: { desiredState: 'STARTED' } });
      expect(patched.metadata.labels).to.deep.equal({ env: 'prod' });
      expect(patched.spec.desiredState).to.equal('STARTED');
      expect(patched.spec.lifecycle).to.deep.equal(created.spec.lifecycle);
      expect(patched.metadata.generation).to.equal(2);
    });

    it('ignores status in a patch', async () => {
      const patched = await t.admin.patch(ref, { status: { actualState: 'STARTED' } });
      expect(patched).not.to.have.property('status');
      expect(patched.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
    });

    it('takes a resourceVersion in the patch as a precondition', async () => {
      const current = created.metadata.resourceVersion!;
      await t.admin.patch(ref, { metadata: { resourceVersion: current }, spec: { desiredState: 'STARTED' } });
      const { reason } = await rejection(t.admin.patch(ref, { metadata: { resourceVersion: current }, spec: { desiredState: 'STOPPED' } }));
      expect(reason).to.equal('Conflict');
    });

    it('takes preconditions', async () => {
      const stale = created.metadata.resourceVersion!;
      const patched = await t.admin.patch(ref, { spec: { desiredState: 'STARTED' } }, { resourceVersion: stale });
      expect((await rejection(t.admin.patch(ref, { spec: { desiredState: 'STOPPED' } }, { resourceVersion: stale }))).reason).to.equal(
        'Conflict',
      );
      await t.admin.patch(ref, { spec: { desiredState: 'STOPPED' } }, { resourceVersion: patched.metadata.resourceVersion! });
    });

    it('does not bump the resourceVersion when nothing changes', async () => {
      const same = await t.admin.patch(ref, { spec: { desiredState: 'STOPPED' }, metadata: { labels: { tier: 'web' } } });
      expect(same.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
      expect(same.metadata.managedFields).to.deep.equal(created.metadata.managedFields);
    });

    it('may not rename or move the object', async () => {
      expect((await rejection(t.admin.patch(ref, { metadata: { name: 'other' } }))).reason).to.equal('Invalid');
      expect((await rejection(t.admin.patch(ref, { metadata: { namespace: 'other' } }))).reason).to.equal('Invalid');
      expect((await rejection(t.admin.patch(ref, { kind: 'CFSpace' }))).reason).to.equal('Invalid');
    });

    it('validates the patched object', async () => {
      expect((await rejection(t.admin.patch(ref, { metadata: { labels: { 'bad key': 'x' } } }))).reason).to.equal('Invalid');
    });

    it('answers NotFound for a missing object', async () => {
      expect((await rejection(t.admin.patch({ ...ref, name: 'nope' }, { spec: {} }))).reason).to.equal('NotFound');
    });

    it('folds stringData of a patched Secret into data', async () => {
      await t.admin.create({ kind: 'Secret', metadata: { name: 's', namespace: 'space-1' }, stringData: { a: '1' } });
      const patched = await t.admin.patch({ kind: 'Secret', namespace: 'space-1', name: 's' }, { stringData: { b: '2' } });
      expect(patched.data).to.deep.equal({ a: Buffer.from('1').toString('base64'), b: Buffer.from('2').toString('base64') });
    });
  });

  describe('status', () => {
    it('updateStatus replaces only the status, never generation', async () => {
      const withStatus = { ...structuredClone(created), status: { actualState: 'STARTED' as const, observedGeneration: 1 } };
      withStatus.spec.desiredState = 'STARTED';
      withStatus.metadata.labels = { changed: 'yes' };
      const updated = await t.admin.updateStatus(withStatus);
      expect(updated.status).to.deep.equal({ actualState: 'STARTED', observedGeneration: 1 });
      expect(updated.spec.desiredState).to.equal('STOPPED');
      expect(updated.metadata.labels).to.deep.equal({ tier: 'web' });
      expect(updated.metadata.generation).to.equal(1);
    });

    it('updateStatus needs a current resourceVersion', async () => {
      const stale = { ...structuredClone(created), status: { actualState: 'STARTED' as const } };
      await t.admin.patch(ref, { spec: { desiredState: 'STARTED' } });
      expect((await rejection(t.admin.updateStatus(stale))).reason).to.equal('Conflict');
      delete stale.metadata.resourceVersion;
      expect((await rejection(t.admin.updateStatus(stale))).reason).to.equal('Invalid');
    });

    it('patchStatus merges into the status', async () => {
      await t.admin.patchStatus(ref, { actualState: 'STOPPED', conditions: [] });
      const patched = await t.admin.patchStatus(ref, { actualState: 'STARTED' });
      expect(patched.status).to.deep.equal({ actualState: 'STARTED', conditions: [] });
      expect(patched.metadata.generation).to.equal(1);
    });

    it('patchStatus takes preconditions', async () => {
      await t.admin.patchStatus(ref, { actualState: 'STOPPED' });
      const { reason } = await rejection(
        t.admin.patchStatus(ref, { actualState: 'STARTED' }, { resourceVersion: created.metadata.resourceVersion! }),
      );
      expect(reason).to.equal('Conflict');
    });

    it('does not bump the resourceVersion for an unchanged status', async () => {
      const first = await t.admin.patchStatus(ref, { actualState: 'STOPPED' });
      const second = await t.admin.patchStatus(ref, { actualState: 'STOPPED' });
      expect(second.metadata.resourceVersion).to.equal(first.metadata.resourceVersion);
    });

    it('records the time of object and status writes apart in managedFields', async () => {
      const patched = await t.admin.patchStatus(ref, { actualState: 'STOPPED' });
      const entries = patched.metadata.managedFields!;
      expect(entries.map((entry) => entry.subresource ?? '')).to.deep.equal(['', 'status']);
      for (const entry of entries) expect(entry.time).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    });

    it('has no status for kinds without a status subresource: the apiserver has no such URL', async () => {
      const secret = await t.admin.create({ kind: 'Secret', metadata: { name: 's', namespace: 'space-1' } });
      const notFound = { reason: 'NotFound', message: 'the server could not find the requested resource' };
      expect(await rejection(t.admin.patchStatus({ kind: 'Secret', namespace: 'space-1', name: 's' }, { a: 1 }))).to.deep.equal(notFound);
      expect(await rejection(t.admin.updateStatus(secret))).to.deep.equal(notFound);
      const role = await t.admin.create({ kind: 'Role', metadata: { name: 'r', namespace: 'space-1' } });
      expect(await rejection(t.admin.updateStatus(role))).to.deep.equal(notFound);
    });

    it('keeps a namespace Active unless it is being deleted, defaulting an empty phase', async () => {
      const stored = await t.admin.get({ kind: 'Namespace', name: 'space-1' });
      expect(await rejection(t.admin.updateStatus({ ...stored, status: { phase: 'Terminating' } }))).to.deep.equal({
        reason: 'Invalid',
        message:
          'Namespace "space-1" is invalid: status.Phase: Invalid value: "Terminating": may only be \'Active\' if `deletionTimestamp` is empty',
      });
      expect((await rejection(t.admin.patchStatus({ kind: 'Namespace', name: 'space-1' }, { phase: 'Terminating' }))).reason).to.equal(
        'Invalid',
      );
      const same = await t.admin.updateStatus({ ...stored, status: {} });
      expect(same.status).to.deep.equal({ phase: 'Active' });
      expect(same.metadata.resourceVersion).to.equal(stored.metadata.resourceVersion);
    });

    it('keeps a namespace being deleted Terminating', async () => {
      await t.admin.create({
        ...app('space-1', 'held'),
        metadata: { name: 'held', namespace: 'space-1', finalizers: ['example.com/keep'] },
      });
      await t.admin.delete({ kind: 'Namespace', name: 'space-1' });
      const terminating = await t.admin.get({ kind: 'Namespace', name: 'space-1' });
      const { message } = await rejection(t.admin.updateStatus({ ...terminating, status: { phase: 'Active' } }));
      expect(message).to.equal(
        'Namespace "space-1" is invalid: status.Phase: Invalid value: "Active": may only be \'Terminating\' if `deletionTimestamp` is not empty',
      );
    });
  });
});
