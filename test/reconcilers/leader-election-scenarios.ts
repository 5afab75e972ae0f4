import { expect } from 'chai';
import { LeaderElection } from '../../src/reconcilers/leader-election.ts';
import { isStoreError } from '../../src/store/errors.ts';
import type { Store, StoreSession } from '../../src/store/port.ts';
import { eventually, uniqueName } from '../store/fixture.ts';
import { withHangingUpdates, type HangableSession } from './hanging-store.ts';
import { capturingLogger } from './support.ts';

const leaseDurationMs = 1_000;
const renewDeadlineMs = 500;
const retryIntervalMs = 100;

/**
 * Work that only counts how often it was started and stopped, and whether it runs now; `events` gets
 * its starts and stops in order.
 */
function countingWork(name = 'work', events: string[] = [], startTakesMs = 0) {
  const counts = { starts: 0, stops: 0, running: false, startedAtMs: 0 };
  return {
    counts,
    work: {
      start: async () => {
        await new Promise((resolve) => setTimeout(resolve, startTakesMs));
        counts.starts++;
        counts.running = true;
        counts.startedAtMs = Date.now();
        events.push(`${name} started`);
        return {
          stop: async () => {
            counts.stops++;
            counts.running = false;
            events.push(`${name} stopped`);
          },
        };
      },
    },
  };
}

/**
 * Leader election of the reconcilers, against the store of one backend. Every backend is tested with
 * a renew that never answers; `moreHangs` adds backend-specific ways for the store to stop answering.
 */
export function leaderElectionScenarios(storeUnderTest: () => Store, moreHangs: Record<string, () => Promise<HangableSession>> = {}): void {
  describe('leader election of the reconcilers', () => {
    let namespace: string;
    const electors: LeaderElection[] = [];
    const hangables: HangableSession[] = [];

    const elector = (
      identity: string,
      work: ReturnType<typeof countingWork>['work'],
      lease: string,
      session: StoreSession = storeUnderTest().privileged(),
    ) => {
      const election = new LeaderElection(
        session,
        {
          lease: { namespace, name: lease },
          identity,
          leaseDurationMs,
          renewDeadlineMs,
          retryIntervalMs,
          logger: capturingLogger().logger,
        },
        work,
      );
      electors.push(election);
      return election;
    };

    before(async () => {
      namespace = uniqueName('election');
      await storeUnderTest()
        .privileged()
        .create({ kind: 'Namespace', metadata: { name: namespace } });
    });

    after(async () => {
      await Promise.all(electors.map((election) => election.stop()));
      await Promise.all(hangables.map((hangable) => hangable.close()));
    });

    it('lets exactly one of two replicas work, and the other take over when it stops', async () => {
      const lease = uniqueName('lease');
      const first = countingWork();
      const second = countingWork();
      const a = elector('replica-a', first.work, lease);
      const b = elector('replica-b', second.work, lease);
      await Promise.all([a.start(), b.start()]);
      await new Promise((resolve) => setTimeout(resolve, retryIntervalMs * 5));
      expect(first.counts.starts + second.counts.starts).to.equal(1);
      const [leader, follower, followerWork] = a.isLeader ? [a, b, second] : [b, a, first];
      await leader.stop();
      await eventually(async () => expect(followerWork.counts.running).to.equal(true), leaseDurationMs * 3);
      expect(follower.isLeader).to.equal(true);
      expect(first.counts.starts + second.counts.starts).to.equal(2);
    });

    it('waits out a lease its holder stopped renewing before taking it', async () => {
      const lease = uniqueName('lease');
      const now = new Date().toISOString().replace('Z', '000Z');
      await storeUnderTest()
        .privileged()
        .create({
          kind: 'Lease',
          metadata: { name: lease, namespace },
          spec: { holderIdentity: 'crashed-replica', leaseDurationSeconds: 1, acquireTime: now, renewTime: now },
        });
      const successor = countingWork();
      const started = Date.now();
      await elector('replica-c', successor.work, lease).start();
      expect(successor.counts.running).to.equal(false);
      await eventually(async () => expect(successor.counts.running).to.equal(true), leaseDurationMs * 4);
      expect(Date.now() - started).to.be.at.least(leaseDurationMs);
    });

    it('stops working as soon as another replica holds the lease', async () => {
      const lease = uniqueName('lease');
      const leaderWork = countingWork();
      const leader = elector('replica-d', leaderWork.work, lease);
      await leader.start();
      expect(leaderWork.counts.running).to.equal(true);
      const session = storeUnderTest().privileged();
      const current = await session.get({ kind: 'Lease', namespace, name: lease });
      await session.update({ ...current, spec: { ...current.spec, holderIdentity: 'intruder' } });
      await eventually(async () => expect(leaderWork.counts.running).to.equal(false), leaseDurationMs * 2);
      expect(leader.isLeader).to.equal(false);
    });

    it('keeps renewing while its work takes longer than the renew deadline to start', async () => {
      const lease = uniqueName('lease');
      const slow = countingWork('slow', [], renewDeadlineMs * 2);
      const leader = elector('replica-g', slow.work, lease);
      await leader.start();
      await new Promise((resolve) => setTimeout(resolve, renewDeadlineMs * 2));
      expect(slow.counts).to.include({ starts: 1, stops: 0, running: true });
      expect(leader.isLeader).to.equal(true);
    });

    const hangs: Record<string, () => Promise<HangableSession>> = {
      'a renew never answers': async () => withHangingUpdates(storeUnderTest().privileged()),
      ...moreHangs,
    };
    for (const [hang, hangable] of Object.entries(hangs)) {
      it(`stops working before its lease can expire when ${hang}, and is succeeded only after expiry`, async () => {
        const lease = uniqueName('lease');
        const events: string[] = [];
        const store = await hangable();
        hangables.push(store);
        const leaderWork = countingWork('leader', events);
        const successorWork = countingWork('successor', events);
        await elector('replica-e', leaderWork.work, lease, store.session).start();
        await elector('replica-f', successorWork.work, lease).start();
        expect(events).to.deep.equal(['leader started']);
        store.hang();
        await eventually(async () => expect(successorWork.counts.running).to.equal(true), leaseDurationMs * 5);
        // The leader stopped on its own, while its renew was still hanging, before anyone could take over.
        expect(events).to.deep.equal(['leader started', 'leader stopped', 'successor started']);
        expect(store.gaveUpAHungCall(), 'the hung call was given up').to.equal(true);
        // Nobody sees the lease renewed before the last answered renew was sent; it expires a lease duration after.
        expect(successorWork.counts.startedAtMs - store.lastAnsweredWriteSentAtMs()).to.be.at.least(leaseDurationMs);
      });
    }

    it('refuses a lease call whose deadline has passed, with Timeout', async () => {
      const session = storeUnderTest().privileged();
      const lease = uniqueName('lease');
      const ref = { kind: 'Lease', namespace, name: lease } as const;
      const created = await session.create({ kind: 'Lease', metadata: { name: lease, namespace }, spec: { holderIdentity: 'nobody' } });
      const options = { signal: AbortSignal.abort() };
      const calls = {
        get: () => session.get(ref, options),
        create: () => session.create({ kind: 'Lease', metadata: { name: uniqueName('lease'), namespace } }, options),
        update: () => session.update({ ...created, spec: { holderIdentity: 'someone' } }, options),
      };
      for (const [name, call] of Object.entries(calls)) {
        const error = await call().then(
          () => undefined,
          (failure: unknown) => failure,
        );
        expect(isStoreError(error, 'Timeout'), `${name}: ${String(error)}`).to.equal(true);
      }
      expect((await session.get(ref)).spec?.holderIdentity).to.equal('nobody');
    });
  });
}
