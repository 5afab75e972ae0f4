import { expect } from 'chai';
import type { Authenticator, Credentials } from '../../src/auth/identity.ts';
import { ApiError, invalidAuthToken } from '../../src/errors/api-error.ts';
import { RequestAuthenticator } from '../../src/http/request-authenticator.ts';

describe('RequestAuthenticator', () => {
  let calls: Credentials[];
  let clock: number;
  const authenticator: Authenticator = {
    authenticate: async (credentials) => {
      calls.push(credentials);
      if (credentials.scheme === 'bearer' && credentials.token === 'good') return { name: 'alice', kind: 'User', groups: [] };
      throw invalidAuthToken();
    },
  };
  const make = (maxEntries = 10) => new RequestAuthenticator({ authenticator, ttlMs: 1000, maxEntries, now: () => clock });
  beforeEach(() => {
    calls = [];
    clock = 0;
  });

  it('proves a header once within the time to live', async () => {
    const requests = make();
    await requests.authenticate('Bearer good');
    clock = 999;
    expect((await requests.authenticate('Bearer good')).identity).to.deep.equal({ name: 'alice', kind: 'User', groups: [] });
    expect(calls).to.have.length(1);
  });

  it('proves it again once the entry expired', async () => {
    const requests = make();
    await requests.authenticate('Bearer good');
    clock = 1000;
    await requests.authenticate('Bearer good');
    expect(calls).to.have.length(2);
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
    expect(calls.map((credentials) => (credentials.scheme === 'bearer' ? credentials.token : ''))).to.deep.equal(['a', 'b', 'c', 'a']);
  });
});
