import { expect } from 'chai';
import { WorkQueue, type ReconcileOutcome } from '../../src/reconcilers/work-queue.ts';
import { eventually } from '../store/fixture.ts';

/** A promise the test settles: lets a reconcile stay in flight until the test says so. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('reconciler work queue', () => {
  it('runs a key once for a burst of adds, and once more for adds during its run', async () => {
    const runs: string[] = [];
    const release = gate();
    const queue = new WorkQueue({
      concurrency: 2,
      reconcile: async (key) => {
        runs.push(key);
        if (runs.length === 1) await release.opened;
        return undefined;
      },
      onError: () => undefined,
    });
    queue.add('a');
    queue.add('a');
    queue.add('a');
    expect(runs).to.deep.equal(['a']);
    release.open();
    await eventually(async () => expect(runs).to.deep.equal(['a', 'a']));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(runs).to.deep.equal(['a', 'a']);
    await queue.stop();
  });

  it('never runs one key twice at once, and other keys up to the concurrency', async () => {
    let inFlight = 0;
    let most = 0;
    let sameKeyTwice = false;
    const perKey = new Map<string, number>();
    const queue = new WorkQueue({
      concurrency: 3,
      reconcile: async (key) => {
        inFlight++;
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        if (perKey.get(key) !== 1) sameKeyTwice = true;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 10));
        perKey.set(key, perKey.get(key)! - 1);
        inFlight--;
        return undefined;
      },
      onError: () => undefined,
    });
    for (let round = 0; round < 5; round++) for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
    await eventually(async () => expect(inFlight).to.equal(0));
    expect(most).to.equal(3);
    expect(sameKeyTwice).to.equal(false);
    await queue.stop();
  });

  it('retries a failing key with growing delays and forgets its failures after a success', async () => {
    const times: number[] = [];
    const failures: number[] = [];
    const queue = new WorkQueue({
      concurrency: 1,
      baseRetryDelayMs: 20,
      reconcile: async () => {
        times.push(Date.now());
        if (times.length <= 3 || times.length === 5) throw new Error('not now');
        return undefined;
      },
      onError: (_key, _error, count) => failures.push(count),
    });
    queue.add('a');
    await eventually(async () => expect(times).to.have.length(4));
    const gaps = times.slice(1).map((time, index) => time - times[index]!);
    // 20, 40 and 80 ms, each ±25%.
    expect(gaps[0]).to.be.at.least(14);
    expect(gaps[2]).to.be.at.least(59);
    queue.add('a');
    await eventually(async () => expect(times).to.have.length(6));
    expect(failures).to.deep.equal([1, 2, 3, 1]);
    await queue.stop();
  });

  it('runs a key again when a reconcile asks for it', async () => {
    let runs = 0;
    const queue = new WorkQueue({
      concurrency: 1,
      reconcile: async (): Promise<ReconcileOutcome> => (++runs < 3 ? { requeueAfterMs: 10 } : undefined),
      onError: () => undefined,
    });
    queue.add('a');
    await eventually(async () => expect(runs).to.equal(3));
    await queue.stop();
  });

  it('stops: waits for reconciles in flight, drops queued and delayed keys', async () => {
    const release = gate();
    const runs: string[] = [];
    let finished = false;
    const queue = new WorkQueue({
      concurrency: 1,
      reconcile: async (key) => {
        runs.push(key);
        await release.opened;
        finished = true;
        return undefined;
      },
      onError: () => undefined,
    });
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 10);
    const stopped = queue.stop();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(finished).to.equal(false);
    release.open();
    await stopped;
    expect(finished).to.equal(true);
    queue.add('d');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs).to.deep.equal(['a']);
  });
});
