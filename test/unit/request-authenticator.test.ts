import { expect } from 'chai';
import type { Authenticator, Credentials } from '../../src/auth/identity.ts';
import { ApiError, invalidAuthToken } from '../../src/errors/api-error.ts';
import { RequestAuthenticator } from '../../src/http/request-authenticator.ts';

describe('RequestAuthenticator', () => {
  let calls: Credentials[];
  let clock: number;
  let revoked: boolean;
  const authenticator: Authenticator = {
    authenticate: async (credentials) => {
      calls.push(credentials);
      if (credentials.scheme === 'bearer' && credentials.token === 'good' && !revoked) return { name: 'alice', kind: 'User', groups: [] };
      throw invalidAuthToken();
    },
  };
  const tokensChecked = () => calls.map((credentials) => (credentials.scheme === 'bearer' ? credentials.token : ''));
  const make = (maxEntries = 10) => new RequestAuthenticator({ authenticator, ttlMs: 1000, maxEntries, now: () => clock });
  beforeEach(() => {
    calls = [];
    clock = 1_000_000;
    revoked = false;
  });

  it('proves a header once within the time to live', async () => {
    const requests = make();
    await requests.authenticate('Bearer good');
    clock += 1000;
    expect((await requests.authenticate('Bearer good')).identity).to.deep.equal({ name: 'alice', kind: 'User', groups: [] });
    expect(calls).to.have.length(1);
  });

  it('proves it again once the entry expired', async () => {
    const requests = make();
    await requests.authenticate('Bearer good');
    clock += 1001;
    await requests.authenticate('Bearer good');
    expect(calls).to.have.length(2);
  });

  it('refuses a revoked token once its entry expired', async () => {
    const requests = make();
    await requests.authenticate('Bearer good');
    revoked = true;
    clock += 1000;
    await requests.authenticate('Bearer good');
    clock += 1;
    const error = await requests.authenticate('Bearer good').catch((thrown: unknown) => thrown);
    expect(error).to.be.instanceOf(ApiError);
  });

  it('never remembers a rejection', async () => {
    const requests = make();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await requests.authenticate('Bearer bad').catch((thrown: unknown) => thrown);
      expect(error).to.be.instanceOf(ApiError);
    }
    expect(calls).to.have.length(2);
  });

  it('forgets the oldest entry when full', async () => {
    const requests = new RequestAuthenticator({
      authenticator: { authenticate: async (credentials) => (calls.push(credentials), { name: 'x', kind: 'User', groups: [] }) },
      maxEntries: 2,
      now: () => clock,
    });
    for (const token of ['a', 'b', 'c', 'a']) await requests.authenticate(`Bearer ${token}`);
    expect(tokensChecked()).to.deep.equal(['a', 'b', 'c', 'a']);
  });

  it('keeps the most recently used headers when full, and never more than its limit', async () => {
    const requests = new RequestAuthenticator({
      authenticator: { authenticate: async (credentials) => (calls.push(credentials), { name: 'x', kind: 'User', groups: [] }) },
      maxEntries: 2,
      now: () => clock,
    });
    // `a` is used again before `c` arrives, so `b` is the one forgotten.
    for (const token of ['a', 'b', 'a', 'c', 'a', 'b']) await requests.authenticate(`Bearer ${token}`);
    expect(tokensChecked()).to.deep.equal(['a', 'b', 'c', 'b']);
    calls = [];
    for (let n = 0; n < 1000; n += 1) await requests.authenticate(`Bearer t${n}`);
    // Only the last two are still remembered.
    for (const token of ['t999', 't998', 't997']) await requests.authenticate(`Bearer ${token}`);
    expect(tokensChecked().slice(1000)).to.deep.equal(['t997']);
  });
});
