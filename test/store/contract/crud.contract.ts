import { expect } from 'chai';
import type { StoredObject } from '../../../src/store/objects.ts';
import { createNamespace, uniqueName, type StoreFixture } from '../fixture.ts';
import { expectStoreError } from './expect-store-error.ts';
import { newApp, newSecret } from './objects.ts';

export function crudContract(fixture: () => StoreFixture): void {
  describe('create, get, update, patch, delete', () => {
    let namespace: string;
    before(async () => (namespace = await createNamespace(fixture())));

    it('creates an object with the metadata the server owns, and gets it back the same', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace));
      expect(created.apiVersion).to.equal('korifi.cloudfoundry.org/v1alpha1');
      expect(created.kind).to.equal('CFApp');
      expect(created.metadata.uid).to.match(/^[0-9a-f-]{36}$/);
      expect(created.metadata.resourceVersion).to.match(/^\d+$/);
      expect(created.metadata.generation).to.equal(1);
      expect(created.metadata.creationTimestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(created.spec.desiredState).to.equal('STOPPED');
      const read = await session.get({ kind: 'CFApp', namespace, name: created.metadata.name });
      expect(read.metadata.uid).to.equal(created.metadata.uid);
      expect(read.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
      expect(read.spec).to.deep.equal(created.spec);
    });

    it('refuses a second object of the same name, a missing namespace, and reports missing objects', async () => {
      const session = fixture().store.privileged();
      const app = newApp(namespace);
      await session.create(app);
      await expectStoreError(session.create(app), 'AlreadyExists');
      await expectStoreError(session.create(newApp(uniqueName('missing'))), 'NotFound');
      await expectStoreError(session.get({ kind: 'CFApp', namespace, name: 'no-such-app' }), 'NotFound');
      await expectStoreError(session.delete({ kind: 'CFApp', namespace, name: 'no-such-app' }), 'NotFound');
      await expectStoreError(
        session.patch({ kind: 'CFApp', namespace, name: 'no-such-app' }, { metadata: { labels: { a: 'b' } } }),
        'NotFound',
      );
    });

    it('refuses objects that break the schema', async () => {
      const session = fixture().store.privileged();
      const app = newApp(namespace);
      await expectStoreError(session.create({ ...app, spec: { ...app.spec, desiredState: 'SLEEPING' as 'STOPPED' } }), 'Invalid');
      await expectStoreError(session.create({ ...app, metadata: { ...app.metadata, name: 'Not_A_Valid_Name' } }), 'Invalid');
      await expectStoreError(session.create({ ...app, metadata: { ...app.metadata, labels: { 'bad key!': 'x' } } }), 'Invalid');
    });

    it('updates with the current resourceVersion, bumping it and the generation', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace));
      const updated = await session.update({ ...created, spec: { ...created.spec, desiredState: 'STARTED' } });
      expect(updated.spec.desiredState).to.equal('STARTED');
      expect(updated.metadata.generation).to.equal(2);
      expect(Number(updated.metadata.resourceVersion)).to.be.greaterThan(Number(created.metadata.resourceVersion));
      expect(updated.metadata.uid).to.equal(created.metadata.uid);
      expect(updated.metadata.creationTimestamp).to.equal(created.metadata.creationTimestamp);
    });

    it('refuses an update or patch based on a stale resourceVersion, and an update without one', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace));
      await session.update({ ...created, spec: { ...created.spec, desiredState: 'STARTED' } });
      await expectStoreError(session.update({ ...created, spec: { ...created.spec, envSecretName: 'x' } }), 'Conflict');
      const ref = { kind: 'CFApp' as const, namespace, name: created.metadata.name };
      await expectStoreError(
        session.patch(ref, { spec: { envSecretName: 'y' } }, { resourceVersion: created.metadata.resourceVersion! }),
        'Conflict',
      );
      await expectStoreError(
        session.patch(ref, { metadata: { resourceVersion: created.metadata.resourceVersion }, spec: { envSecretName: 'y' } }),
        'Conflict',
      );
      const metadataWithoutVersion = { ...created.metadata };
      delete metadataWithoutVersion.resourceVersion;
      await expectStoreError(session.update({ ...created, metadata: metadataWithoutVersion }), 'Invalid');
      const unchanged = await session.get(ref);
      expect(unchanged.spec.envSecretName).to.equal(undefined);
    });

    it('merge-patches: objects merge, null removes, the rest replaces', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace, { keep: 'me', drop: 'me' }));
      const ref = { kind: 'CFApp' as const, namespace, name: created.metadata.name };
      const patched = await session.patch(ref, {
        metadata: { labels: { drop: null, added: 'yes' }, annotations: { note: 'hello' } },
        spec: { lifecycle: { data: { buildpacks: ['go_buildpack'] } } },
      });
      expect(patched.metadata.labels).to.include({ keep: 'me', added: 'yes' });
      expect(patched.metadata.labels).not.to.have.property('drop');
      expect(patched.metadata.annotations).to.deep.equal({ note: 'hello' });
      expect(patched.spec.lifecycle).to.deep.equal({ type: 'buildpack', data: { buildpacks: ['go_buildpack'], stack: 'cflinuxfs4' } });
      expect(patched.metadata.generation).to.equal(2);
      const withCurrentVersion = await session.patch(
        ref,
        { spec: { envSecretName: 'env' } },
        { resourceVersion: patched.metadata.resourceVersion! },
      );
      expect(withCurrentVersion.spec.envSecretName).to.equal('env');
    });

    it('changes neither resourceVersion nor generation for a write that changes nothing', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace));
      const same = await session.patch({ kind: 'CFApp', namespace, name: created.metadata.name }, { spec: { desiredState: 'STOPPED' } });
      expect(same.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
      expect(same.metadata.generation).to.equal(1);
    });

    it('changes only metadata without bumping the generation', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace));
      const labelled = await session.patch({ kind: 'CFApp', namespace, name: created.metadata.name }, { metadata: { labels: { x: 'y' } } });
      expect(labelled.metadata.generation).to.equal(1);
      expect(labelled.metadata.resourceVersion).not.to.equal(created.metadata.resourceVersion);
    });

    it('deletes, honouring a resourceVersion precondition', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace));
      const ref = { kind: 'CFApp' as const, namespace, name: created.metadata.name };
      const labelled = await session.patch(ref, { metadata: { labels: { x: 'y' } } });
      await expectStoreError(session.delete(ref, { resourceVersion: created.metadata.resourceVersion! }), 'Conflict');
      await session.delete(ref, { resourceVersion: labelled.metadata.resourceVersion! });
      await expectStoreError(session.get(ref), 'NotFound');
    });

    it('keeps an object with finalizers until they are removed', async () => {
      const session = fixture().store.privileged();
      const app = newApp(namespace);
      const created = await session.create({ ...app, metadata: { ...app.metadata, finalizers: ['cfapi.test/hold'] } });
      const ref = { kind: 'CFApp' as const, namespace, name: created.metadata.name };
      await session.delete(ref);
      const terminating = await session.get(ref);
      expect(terminating.metadata.deletionTimestamp).to.be.a('string');
      await session.patch(ref, { metadata: { finalizers: null } });
      await session.waitForDeletion(ref, { timeoutMs: 10_000 });
    });

    it('stores secrets with stringData folded into base64 data', async () => {
      const session = fixture().store.privileged();
      const created: StoredObject<'Secret'> = await session.create(newSecret(namespace));
      expect(created.data).to.deep.equal({ password: Buffer.from('s3cret').toString('base64') });
      expect(created.stringData).to.equal(undefined);
    });

    it('creates several objects together, or none of them', async () => {
      const session = fixture().store.privileged();
      const first = newApp(namespace);
      const second = newSecret(namespace);
      const created = await session.createAll([first, second]);
      expect(created.map((object) => object.metadata.name)).to.deep.equal([first.metadata.name, second.metadata.name]);
      const fresh = newApp(namespace);
      await expectStoreError(session.createAll([fresh, second]), 'AlreadyExists');
      await expectStoreError(session.get({ kind: 'CFApp', namespace, name: fresh.metadata.name }), 'NotFound');
    });
  });
}
