import { expect } from 'chai';
import { AccessDecisions } from '../../../src/store/read-cache/access-decisions.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('read cache: kept access decisions', () => {
  let decisions: AccessDecisions;
  let asked: number;
  let answer: boolean;
  const ask = async (): Promise<boolean> => {
    asked++;
    return answer;
  };
  const inSpace = { kind: 'CFApp', namespace: 'space-a' } as const;

  beforeEach(() => {
    decisions = new AccessDecisions({ ttlMs: 1000, settleMs: 100, maxEntries: 3 });
    asked = 0;
    answer = true;
  });
  afterEach(() => decisions.close());

  it('keeps a decision per subject and target until its time is up', async () => {
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(true);
    answer = false;
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(true);
    expect(asked).to.equal(1);
    expect(await decisions.decide('bob', inSpace, ask)).to.equal(false);
    expect(await decisions.decide('alice', { ...inSpace, namespace: 'space-b' }, ask)).to.equal(false);
    expect(await decisions.decide('alice', { ...inSpace, name: 'one' }, ask)).to.equal(false);
    expect(asked).to.equal(4);
    await sleep(1050);
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(false);
  });

  it('asks again in the background past half the time, answering from the kept decision meanwhile', async () => {
    await decisions.decide('alice', inSpace, ask);
    answer = false;
    await sleep(550);
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(true);
    await sleep(5);
    expect(asked).to.equal(2);
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(false);
  });

  it("drops a namespace's decisions on a change there, every decision on a cluster-wide change, asking every time for the settle time after it", async () => {
    await decisions.decide('alice', inSpace, ask);
    await decisions.decide('alice', { kind: 'CFApp', namespace: 'space-b' }, ask);
    decisions.changed('space-b');
    answer = false;
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(true);
    expect(await decisions.decide('alice', { kind: 'CFApp', namespace: 'space-b' }, ask)).to.equal(false);
    decisions.changed(undefined);
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(false);
    // For the settle time after a change (the authorizer may lag), its scope's answers are not kept.
    await sleep(150);
    answer = false;
    await decisions.decide('alice', { kind: 'CFApp', namespace: 'space-b' }, ask);
    answer = true;
    decisions.changed('space-a');
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(true);
    answer = false;
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(false);
    answer = true;
    expect(await decisions.decide('alice', { kind: 'CFApp', namespace: 'space-b' }, ask)).to.equal(false);
    await sleep(150);
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(true);
    answer = false;
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(true);
  });

  it('does not keep an answer asked before a change and given after it; one question at a time per key', async () => {
    let release: (allowed: boolean) => void = () => undefined;
    const slow = () => {
      asked++;
      return new Promise<boolean>((resolve) => (release = resolve));
    };
    const first = decisions.decide('alice', inSpace, slow);
    const second = decisions.decide('alice', inSpace, slow);
    decisions.changed('space-a');
    release(true);
    expect(await first).to.equal(true);
    expect(await second).to.equal(true);
    expect(asked).to.equal(1);
    answer = false;
    expect(await decisions.decide('alice', inSpace, ask)).to.equal(false);
  });

  it('forgets everything past the most it keeps', async () => {
    for (const namespace of ['a', 'b', 'c', 'd']) await decisions.decide('alice', { kind: 'CFApp', namespace }, ask);
    answer = false;
    expect(await decisions.decide('alice', { kind: 'CFApp', namespace: 'a' }, ask)).to.equal(false);
    expect(await decisions.decide('alice', { kind: 'CFApp', namespace: 'd' }, ask)).to.equal(true);
  });
});
