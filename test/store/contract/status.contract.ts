import { expect } from 'chai';
import { createNamespace, type StoreFixture } from '../fixture.ts';
import { expectStoreError } from './expect-store-error.ts';
import { newApp } from './objects.ts';

const readyCondition = (generation: number) => ({
  type: 'Ready',
  status: 'True' as const,
  observedGeneration: generation,
  lastTransitionTime: '2026-11-27T00:00:00Z',
  reason: 'Ready',
  message: '',
});

export function statusContract(fixture: () => StoreFixture): void {
  describe('status subresource', () => {
    let namespace: string;
    before(async () => (namespace = await createNamespace(fixture())));

    it('drops status sent with a create', async () => {
      const app = newApp(namespace);
      const created = await fixture()
        .store.privileged()
        .create({ ...app, status: { actualState: 'STARTED' } });
      expect(created.status?.actualState).to.equal(undefined);
    });

    it('writes status separately, never bumping the generation, and ignores spec changes sent with it', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace));
      const withStatus = await session.updateStatus({
        ...created,
        spec: { ...created.spec, desiredState: 'STARTED' },
        status: { actualState: 'STOPPED', conditions: [readyCondition(1)] },
      });
      expect(withStatus.status?.conditions?.[0]?.type).to.equal('Ready');
      expect(withStatus.spec.desiredState).to.equal('STOPPED');
      expect(withStatus.metadata.generation).to.equal(1);
      expect(Number(withStatus.metadata.resourceVersion)).to.be.greaterThan(Number(created.metadata.resourceVersion));
      await expectStoreError(session.updateStatus({ ...created, status: { actualState: 'STARTED' } }), 'Conflict');
    });

    it('merge-patches status alone', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace));
      const ref = { kind: 'CFApp' as const, namespace, name: created.metadata.name };
      await session.patchStatus(ref, { actualState: 'STOPPED', conditions: [readyCondition(1)] });
      const patched = await session.patchStatus(ref, { actualState: 'STARTED' });
      expect(patched.status?.actualState).to.equal('STARTED');
      expect(patched.status?.conditions).to.have.length(1);
      expect(patched.metadata.generation).to.equal(1);
      await expectStoreError(
        session.patchStatus(ref, { actualState: 'STOPPED' }, { resourceVersion: created.metadata.resourceVersion! }),
        'Conflict',
      );
    });

    it('keeps status when the main resource is updated', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace));
      const ref = { kind: 'CFApp' as const, namespace, name: created.metadata.name };
      const withStatus = await session.patchStatus(ref, { actualState: 'STOPPED' });
      const updated = await session.update({
        ...withStatus,
        spec: { ...withStatus.spec, desiredState: 'STARTED' },
        status: { actualState: 'STARTED' },
      });
      expect(updated.status?.actualState).to.equal('STOPPED');
      expect(updated.metadata.generation).to.equal(2);
    });

    it('records when each part was last written, as managedFields times', async () => {
      const session = fixture().store.privileged();
      const created = await session.create(newApp(namespace));
      const times = created.metadata.managedFields?.map((entry) => entry.time) ?? [];
      expect(times.length).to.be.greaterThan(0);
      for (const time of times) expect(time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });
  });
}
