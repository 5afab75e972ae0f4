import { expect } from 'chai';
import type { WatchEvent } from '../../../src/store/port.ts';
import { createNamespace, eventually, type StoreFixture } from '../fixture.ts';
import { expectStoreError } from './expect-store-error.ts';
import { newApp } from './objects.ts';

export function watchContract(fixture: () => StoreFixture): void {
  describe('watches and waits', () => {
    let namespace: string;
    before(async () => (namespace = await createNamespace(fixture())));

    it('delivers every change after a version, in order, and stops when asked', async () => {
      const session = fixture().store.privileged();
      const existing = await session.create(newApp(namespace));
      const events: WatchEvent<'CFApp'>[] = [];
      const watch = await session.watch('CFApp', { namespace, resourceVersion: existing.metadata.resourceVersion! }, (event) =>
        events.push(event),
      );
      const app = await session.create(newApp(namespace));
      const ref = { kind: 'CFApp' as const, namespace, name: app.metadata.name };
      await session.patch(ref, { spec: { desiredState: 'STARTED' } });
      await session.delete(ref);
      await eventually(async () => expect(events.map((event) => event.type)).to.deep.equal(['ADDED', 'MODIFIED', 'DELETED']));
      expect(events.map((event) => event.object.metadata.name)).to.deep.equal([app.metadata.name, app.metadata.name, app.metadata.name]);
      expect(events[1]?.object.spec.desiredState).to.equal('STARTED');
      watch.stop();
      await watch.closed;
      await session.create(newApp(namespace));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(events).to.have.length(3);
    });

    it('starts with the current objects when no version is given, filtered by labels', async () => {
      const session = fixture().store.privileged();
      const own = await createNamespace(fixture());
      const wanted = await session.create(newApp(own, { pick: 'me' }));
      await session.create(newApp(own));
      const events: WatchEvent<'CFApp'>[] = [];
      const watch = await session.watch(
        'CFApp',
        { namespace: own, labelSelector: [{ key: 'pick', operator: 'equals', value: 'me' }] },
        (event) => events.push(event),
      );
      await eventually(async () =>
        expect(events.map((event) => [event.type, event.object.metadata.name])).to.deep.equal([['ADDED', wanted.metadata.name]]),
      );
      watch.stop();
    });

    it('waits for a condition set later, and times out when it never holds', async () => {
      const session = fixture().store.privileged();
      const app = await session.create(newApp(namespace));
      const ref = { kind: 'CFApp' as const, namespace, name: app.metadata.name };
      const started = session.waitFor(ref, (object) => object.status?.actualState === 'STARTED', { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await session.patchStatus(ref, { actualState: 'STARTED' });
      expect((await started).status?.actualState).to.equal('STARTED');
      await expectStoreError(
        session.waitFor(ref, (object) => object.spec.desiredState === 'STARTED', { timeoutMs: 300 }),
        'Timeout',
      );
    });

    it('fails a wait when the object is deleted, and waits for deletion', async () => {
      const session = fixture().store.privileged();
      const app = await session.create(newApp(namespace));
      const ref = { kind: 'CFApp' as const, namespace, name: app.metadata.name };
      // Observed from the start: the rejection may come before delete() returns.
      const never = expectStoreError(
        session.waitFor(ref, () => false, { timeoutMs: 10_000 }),
        'NotFound',
      );
      const gone = session.waitForDeletion(ref, { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await session.delete(ref);
      await never;
      await gone;
      await session.waitForDeletion(ref, { timeoutMs: 100 });
    });
  });
}
