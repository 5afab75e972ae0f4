import { expect } from 'chai';
import { createNamespace, eventually, grantInNamespace, type StoreFixture } from '../fixture.ts';
import { expectStoreError } from './expect-store-error.ts';
import { newApp, newSecret } from './objects.ts';

const korifi = 'korifi.cloudfoundry.org';

/** Inputs no well-behaved caller sends, which must still fail cleanly and the same way on both backends. */
export function edgesContract(fixture: () => StoreFixture): void {
  describe('edge cases', () => {
    let namespace: string;
    before(async () => (namespace = await createNamespace(fixture())));

    it('finds no object under a name no object can have, and touches nothing else', async () => {
      const session = fixture().store.privileged();
      const bystander = await session.create(newApp(namespace));
      for (const name of ['.', '..', 'a/b', '%2E']) {
        await expectStoreError(session.get({ kind: 'CFApp', namespace, name }), 'NotFound');
        await expectStoreError(session.delete({ kind: 'CFApp', namespace, name }), 'NotFound');
        await expectStoreError(session.delete({ kind: 'Secret', namespace, name }), 'NotFound');
        await expectStoreError(session.patch({ kind: 'CFApp', namespace, name }, { metadata: { labels: { a: 'b' } } }), 'NotFound');
        expect((await session.list('CFApp', { namespace, name })).items).to.deep.equal([]);
      }
      await expectStoreError(session.get({ kind: 'CFApp', namespace: '..', name: bystander.metadata.name }), 'NotFound');
      expect((await session.get({ kind: 'CFApp', namespace, name: bystander.metadata.name })).metadata.uid).to.equal(
        bystander.metadata.uid,
      );
      expect((await session.get({ kind: 'Namespace', name: namespace })).metadata.deletionTimestamp).to.equal(undefined);
    });

    it('matches label values and names literally: no value can add a requirement', async () => {
      const session = fixture().store.privileged();
      const own = await createNamespace(fixture());
      await session.create(newApp(own, { color: 'blue', size: 'large' }));
      const list = (selector: Parameters<typeof session.list>[1]) => session.list('CFApp', { namespace: own, ...selector });
      expect((await list({ labelSelector: [{ key: 'color', operator: 'equals', value: 'blue,size=large' }] })).items).to.have.length(0);
      expect((await list({ labelSelector: [{ key: 'color', operator: 'in', values: ['x y', 'blue)'] }] })).items).to.have.length(0);
      expect((await list({ labelSelector: [{ key: 'color', operator: 'notEquals', value: 'not a value!' }] })).items).to.have.length(1);
      expect((await list({ labelSelector: [{ key: 'bad key!', operator: 'exists' }] })).items).to.have.length(0);
      expect((await list({ labelSelector: [{ key: 'bad key!', operator: 'notExists' }] })).items).to.have.length(1);
      expect((await list({ name: 'x,metadata.namespace=y' })).items).to.have.length(0);
    });

    it('refuses malformed writes as the caller’s mistake', async () => {
      const session = fixture().store.privileged();
      const app = newApp(namespace);
      const { namespace: _dropped, ...metadataWithoutNamespace } = app.metadata;
      void _dropped;
      await expectStoreError(session.create({ ...app, metadata: metadataWithoutNamespace }), 'Invalid');
      await expectStoreError(session.create({ ...app, metadata: { ...app.metadata, resourceVersion: '12' } }), 'Invalid');
      const created = await session.create(app);
      await expectStoreError(session.update({ ...created, metadata: { ...created.metadata, resourceVersion: 'abc' } }), 'Conflict');
      const secret = await session.create(newSecret(namespace));
      await expectStoreError(session.patchStatus({ kind: 'Secret', namespace, name: secret.metadata.name }, { phase: 'x' }), 'NotFound');
    });

    it('leaves nothing behind when createAll fails for a user who may create but not delete', async () => {
      const identity = await fixture().newUser();
      await grantInNamespace(fixture(), identity, namespace, [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['create', 'get'] }]);
      const user = fixture().store.as(identity);
      const first = newApp(namespace);
      const taken = await fixture().store.privileged().create(newApp(namespace));
      await eventually(() => expectStoreError(user.createAll([first, newApp(namespace, {}, taken.metadata.name)]), 'AlreadyExists'));
      await expectStoreError(fixture().store.privileged().get({ kind: 'CFApp', namespace, name: first.metadata.name }), 'NotFound');
    });

    it('stops a wait at once when its signal is already aborted, without looking at the object', async () => {
      const session = fixture().store.privileged();
      const app = await session.create(newApp(namespace));
      let looked = 0;
      const holds = () => {
        looked += 1;
        return true;
      };
      // The condition already holds and no timer can end the wait (an hour), so a Timeout can only
      // come from the signal, and only a wait that checks it first never consults the condition.
      await expectStoreError(
        session.waitFor({ kind: 'CFApp', namespace, name: app.metadata.name }, holds, {
          timeoutMs: 3_600_000,
          signal: AbortSignal.abort(),
        }),
        'Timeout',
      );
      expect(looked).to.equal(0);
    });

    it('waits on an object written long ago, after many writes elsewhere', async function () {
      // Enough writes to push the object's own version out of the embedded store's watch history;
      // the apiserver's history is time-based (etcd compaction), so fewer do there.
      const writes = fixture().backend === 'embedded' ? 12_000 : 200;
      this.timeout(120_000);
      const session = fixture().store.privileged();
      const old = await session.create(newApp(namespace));
      const busy = await session.create(newApp(namespace));
      const busyRef = { kind: 'CFApp' as const, namespace, name: busy.metadata.name };
      for (let index = 0; index < writes; index++) await session.patch(busyRef, { metadata: { annotations: { n: String(index) } } });
      const ref = { kind: 'CFApp' as const, namespace, name: old.metadata.name };
      const ready = session.waitFor(ref, (object) => object.status?.actualState === 'STARTED', { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await session.patchStatus(ref, { actualState: 'STARTED' });
      expect((await ready).status?.actualState).to.equal('STARTED');
    });
  });
}
