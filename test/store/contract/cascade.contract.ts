import { expect } from 'chai';
import { createNamespace, type StoreFixture } from '../fixture.ts';
import { expectStoreError } from './expect-store-error.ts';
import { newApp, newSecret } from './objects.ts';

// Kubernetes' garbage collector and namespace controller work in the background; give them time.
const cascadeTimeoutMs = 60_000;

export function cascadeContract(fixture: () => StoreFixture): void {
  describe('cascading deletes', function () {
    this.timeout(cascadeTimeoutMs + 10_000);

    it('deletes an object’s dependents (ownerReferences)', async () => {
      const session = fixture().store.privileged();
      const namespace = await createNamespace(fixture());
      const owner = await session.create(newApp(namespace));
      const secret = newSecret(namespace);
      const ownerReference = {
        apiVersion: owner.apiVersion,
        kind: 'CFApp',
        name: owner.metadata.name,
        uid: owner.metadata.uid!,
        blockOwnerDeletion: true,
      };
      const dependent = await session.create({ ...secret, metadata: { ...secret.metadata, ownerReferences: [ownerReference] } });
      const unrelated = await session.create(newSecret(namespace));
      await session.delete({ kind: 'CFApp', namespace, name: owner.metadata.name });
      await session.waitForDeletion({ kind: 'Secret', namespace, name: dependent.metadata.name }, { timeoutMs: cascadeTimeoutMs });
      expect((await session.get({ kind: 'Secret', namespace, name: unrelated.metadata.name })).metadata.name).to.equal(
        unrelated.metadata.name,
      );
    });

    it('deletes a namespace with everything in it', async () => {
      const session = fixture().store.privileged();
      const namespace = await createNamespace(fixture());
      const app = await session.create(newApp(namespace));
      await session.delete({ kind: 'Namespace', name: namespace });
      await session.waitForDeletion({ kind: 'Namespace', name: namespace }, { timeoutMs: cascadeTimeoutMs });
      await expectStoreError(session.get({ kind: 'CFApp', namespace, name: app.metadata.name }), 'NotFound');
    });

    it('refuses new objects in a namespace that is being deleted', async () => {
      const session = fixture().store.privileged();
      const namespace = await createNamespace(fixture());
      const held = newApp(namespace);
      await session.create({ ...held, metadata: { ...held.metadata, finalizers: ['cfapi.test/hold'] } });
      await session.delete({ kind: 'Namespace', name: namespace });
      await expectStoreError(session.create(newApp(namespace)), 'Forbidden');
      await session.patch({ kind: 'CFApp', namespace, name: held.metadata.name }, { metadata: { finalizers: null } });
      await session.waitForDeletion({ kind: 'Namespace', name: namespace }, { timeoutMs: cascadeTimeoutMs });
    });
  });
}

/** Kubernetes' garbage collector deletes an object whose owners do not exist. */
export function orphanContract(fixture: () => StoreFixture): void {
  describe('orphaned dependents', function () {
    this.timeout(cascadeTimeoutMs + 10_000);

    it('deletes an object whose only owner does not exist, and keeps one whose owner does', async () => {
      const session = fixture().store.privileged();
      const namespace = await createNamespace(fixture());
      const owner = await session.create(newApp(namespace));
      const ghost = { apiVersion: owner.apiVersion, kind: 'CFApp', name: 'ghost', uid: '00000000-0000-4000-8000-000000000000' };
      const real = { apiVersion: owner.apiVersion, kind: 'CFApp', name: owner.metadata.name, uid: owner.metadata.uid! };
      const orphanSecret = newSecret(namespace);
      const orphan = await session.create({ ...orphanSecret, metadata: { ...orphanSecret.metadata, ownerReferences: [ghost] } });
      const keptSecret = newSecret(namespace);
      const kept = await session.create({ ...keptSecret, metadata: { ...keptSecret.metadata, ownerReferences: [real] } });
      await session.waitForDeletion({ kind: 'Secret', namespace, name: orphan.metadata.name }, { timeoutMs: cascadeTimeoutMs });
      expect((await session.get({ kind: 'Secret', namespace, name: kept.metadata.name })).metadata.ownerReferences).to.have.length(1);
    });
  });
}
