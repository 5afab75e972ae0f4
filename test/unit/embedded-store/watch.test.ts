import { expect } from 'chai';
import { WatchHub } from '../../../src/store/embedded/watch-hub.ts';
import type { Resource } from '../../../src/store/embedded/resource.ts';
import { StoreError } from '../../../src/store/errors.ts';
import { WriteBatch } from '../../../src/store/embedded/write-batch.ts';
import { app, eventCollector, namespace, rejection, settle, testStore, type TestStore } from './store-fixtures.ts';

const ref = { kind: 'CFApp' as const, namespace: 'space-1', name: 'app-1' };

describe('embedded store: watches and waits', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await testStore();
    await t.admin.createAll([namespace('space-1'), namespace('space-2')]);
  });
  afterEach(async () => t.dispose());

  it('starts with an ADDED event for each current object, then follows changes', async () => {
    await t.admin.create(app('space-1', 'app-1'));
    const collector = eventCollector<'CFApp'>();
    const watch = await t.admin.watch('CFApp', {}, collector.onEvent);
    await collector.count(1);
    await t.admin.patch(ref, { spec: { desiredState: 'STARTED' } });
    await t.admin.create(app('space-2', 'app-2'));
    await t.admin.delete(ref);
    await collector.count(4);
    expect(collector.summary()).to.deep.equal(['ADDED app-1', 'MODIFIED app-1', 'ADDED app-2', 'DELETED app-1']);
    watch.stop();
  });

  it('from a resourceVersion delivers only later changes, including those made before it started', async () => {
    const created = await t.admin.create(app('space-1', 'app-1'));
    await t.admin.patch(ref, { spec: { desiredState: 'STARTED' } });
    const collector = eventCollector<'CFApp'>();
    const watch = await t.admin.watch('CFApp', { resourceVersion: created.metadata.resourceVersion! }, collector.onEvent);
    await collector.count(1);
    expect(collector.summary()).to.deep.equal(['MODIFIED app-1']);
    expect(collector.events[0]!.object.spec.desiredState).to.equal('STARTED');
    watch.stop();
  });

  it('delivers a transaction’s events after commit, in resourceVersion order', async () => {
    const collector = eventCollector<'CFApp'>();
    const { resourceVersion } = await t.admin.list('CFApp');
    const watch = await t.admin.watch('CFApp', { resourceVersion }, collector.onEvent);
    await t.admin.createAll([app('space-1', 'c'), app('space-1', 'a'), app('space-2', 'b')]);
    const events = await collector.count(3);
    expect(collector.summary()).to.deep.equal(['ADDED c', 'ADDED a', 'ADDED b']);
    const versions = events.map((event) => Number(event.object.metadata.resourceVersion));
    expect(versions).to.deep.equal([...versions].sort((x, y) => x - y));
    watch.stop();
  });

  it('filters by namespace and name', async () => {
    const collector = eventCollector<'CFApp'>();
    const watch = await t.admin.watch('CFApp', { namespace: 'space-1', name: 'app-1' }, collector.onEvent);
    await t.admin.createAll([app('space-2', 'app-1'), app('space-1', 'app-2'), app('space-1', 'app-1')]);
    await collector.count(1);
    await settle();
    expect(collector.events.map((event) => `${event.object.metadata.namespace}/${event.object.metadata.name}`)).to.deep.equal([
      'space-1/app-1',
    ]);
    watch.stop();
  });

  it('turns label changes into ADDED and DELETED for a selector, as the watch cache does', async () => {
    await t.admin.create(app('space-1', 'app-1', { labels: { tier: 'worker' } }));
    const collector = eventCollector<'CFApp'>();
    const watch = await t.admin.watch('CFApp', { labelSelector: [{ key: 'tier', operator: 'equals', value: 'web' }] }, collector.onEvent);
    await settle();
    await t.admin.patch(ref, { metadata: { labels: { tier: 'web' } } });
    await t.admin.patch(ref, { spec: { desiredState: 'STARTED' } });
    const relabelled = await t.admin.patch(ref, { metadata: { labels: { tier: 'db' } } });
    await collector.count(3);
    expect(collector.summary()).to.deep.equal(['ADDED app-1', 'MODIFIED app-1', 'DELETED app-1']);
    const deleted = collector.events[2]!.object;
    expect(deleted.metadata.labels).to.deep.equal({ tier: 'web' });
    expect(deleted.metadata.resourceVersion).to.equal(relabelled.metadata.resourceVersion);
    watch.stop();
  });

  it('carries the last state in a DELETED event, at the deletion’s resourceVersion', async () => {
    const created = await t.admin.create(app('space-1', 'app-1'));
    const collector = eventCollector<'CFApp'>();
    const watch = await t.admin.watch('CFApp', { resourceVersion: created.metadata.resourceVersion! }, collector.onEvent);
    await t.admin.delete(ref);
    const [event] = await collector.count(1);
    expect(event!.type).to.equal('DELETED');
    expect(event!.object.spec).to.deep.equal(created.spec);
    expect(Number(event!.object.metadata.resourceVersion)).to.equal(Number(created.metadata.resourceVersion) + 1);
    watch.stop();
  });

  it('hands each watcher its own copy', async () => {
    const first = eventCollector<'CFApp'>();
    const second = eventCollector<'CFApp'>();
    const watches = [await t.admin.watch('CFApp', {}, first.onEvent), await t.admin.watch('CFApp', {}, second.onEvent)];
    await t.admin.create(app('space-1', 'app-1'));
    await first.count(1);
    await second.count(1);
    first.events[0]!.object.spec.displayName = 'changed';
    expect(second.events[0]!.object.spec.displayName).to.equal('app-1');
    watches.forEach((watch) => watch.stop());
  });

  it('resolves closed when stopped', async () => {
    const watch = await t.admin.watch('CFApp', {}, () => {});
    watch.stop();
    await watch.closed;
  });

  it('ends every watch with Unavailable when the store closes, so waits fail at once', async () => {
    await t.admin.create(app('space-1', 'app-1'));
    const watch = await t.admin.watch('CFApp', {}, () => {});
    const waiting = t.admin.waitFor(ref, () => false, { timeoutMs: 60_000 });
    await settle();
    await t.store.close();
    expect((await rejection(watch.closed)).reason).to.equal('Unavailable');
    expect((await rejection(waiting)).reason).to.equal('Unavailable');
    await t.reopen();
  });

  it('ignores a namespace filter for cluster-scoped kinds', async () => {
    expect((await t.admin.list('Namespace', { namespace: 'space-1' })).items).to.have.length(2);
  });

  it('ends a watch whose listener throws, rejecting closed', async () => {
    const watch = await t.admin.watch('CFApp', {}, () => {
      throw new Error('listener bug');
    });
    await t.admin.create(app('space-1', 'app-1'));
    const outcome = await watch.closed.then(
      () => 'resolved',
      (error: unknown) => String(error),
    );
    expect(outcome).to.contain('listener bug');
  });

  it('refuses a resourceVersion older than its history', () => {
    const hub = new WatchHub(10, 2);
    const batch = new WriteBatch(10, '2026-11-27T00:00:00Z');
    for (let version = 11; version <= 14; version += 1) {
      const object = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `s${version}`, namespace: 'x', resourceVersion: String(version) },
      } as Resource;
      batch.record('ADDED', object, undefined, JSON.stringify(object));
    }
    hub.publish(batch.changes);
    const startingAfter = (version: number) => () => hub.start({ kind: 'Secret' }, { after: version }, () => {}).stop();
    expect(startingAfter(11)).to.throw(StoreError, 'too old resource version: 11 (12)').with.property('reason', 'Conflict');
    startingAfter(12)();
    startingAfter(20)();
  });

  describe('waitFor', () => {
    it('resolves at once when the condition holds', async () => {
      await t.admin.create(app('space-1', 'app-1'));
      const found = await t.admin.waitFor(ref, (object) => object.spec.desiredState === 'STOPPED', { timeoutMs: 100 });
      expect(found.metadata.name).to.equal('app-1');
    });

    it('resolves once a later change makes the condition hold', async () => {
      await t.admin.create(app('space-1', 'app-1'));
      const waiting = t.admin.waitFor(ref, (object) => object.status?.actualState === 'STARTED', { timeoutMs: 2000 });
      await t.admin.patchStatus(ref, { actualState: 'STOPPED' });
      await t.admin.patchStatus(ref, { actualState: 'STARTED' });
      expect((await waiting).status?.actualState).to.equal('STARTED');
    });

    it('times out', async () => {
      await t.admin.create(app('space-1', 'app-1'));
      expect((await rejection(t.admin.waitFor(ref, () => false, { timeoutMs: 30 }))).reason).to.equal('Timeout');
    });

    it('fails with NotFound when the object is deleted while waiting, or is missing', async () => {
      await t.admin.create(app('space-1', 'app-1'));
      const waiting = t.admin.waitFor(ref, () => false, { timeoutMs: 2000 });
      await t.admin.delete(ref);
      expect((await rejection(waiting)).reason).to.equal('NotFound');
      expect((await rejection(t.admin.waitFor(ref, () => true, { timeoutMs: 30 }))).reason).to.equal('NotFound');
    });

    it('waitForDeletion resolves once the object is gone', async () => {
      await t.admin.create(app('space-1', 'app-1', { finalizers: ['example.com/f'] }));
      await t.admin.delete(ref);
      const waiting = t.admin.waitForDeletion(ref, { timeoutMs: 2000 });
      await t.admin.patch(ref, { metadata: { finalizers: null } });
      await waiting;
      await t.admin.waitForDeletion(ref, { timeoutMs: 10 });
      await t.admin.create(app('space-1', 'app-1'));
      expect((await rejection(t.admin.waitForDeletion(ref, { timeoutMs: 30 }))).reason).to.equal('Timeout');
    });
  });
});
