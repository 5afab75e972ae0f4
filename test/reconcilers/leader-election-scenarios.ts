import { expect } from 'chai';
import { LeaderElection } from '../../src/reconcilers/leader-election.ts';
import type { Store } from '../../src/store/port.ts';
import { eventually, uniqueName } from '../store/fixture.ts';
import { capturingLogger } from './support.ts';

const leaseDurationMs = 1_000;
const retryIntervalMs = 100;

/** Work that only counts how often it was started and stopped, and whether it runs now. */
function countingWork() {
  const counts = { starts: 0, stops: 0, running: false };
  return {
    counts,
    work: {
      start: async () => {
        counts.starts++;
        counts.running = true;
        return {
          stop: async () => {
            counts.stops++;
            counts.running = false;
          },
        };
      },
    },
  };
}

/** Leader election of the reconcilers, against the store of one backend. */
export function leaderElectionScenarios(storeUnderTest: () => Store): void {
  describe('leader election of the reconcilers', () => {
    let namespace: string;
    const electors: LeaderElection[] = [];

    const elector = (identity: string, work: ReturnType<typeof countingWork>['work'], lease: string) => {
      const election = new LeaderElection(
        storeUnderTest().privileged(),
        { lease: { namespace, name: lease }, identity, leaseDurationMs, retryIntervalMs, logger: capturingLogger().logger },
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
  });
}
