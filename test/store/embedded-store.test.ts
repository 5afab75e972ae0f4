import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore } from '../../src/store/embedded/embedded-store.ts';
import { storeContract } from './contract/index.ts';
import { uniqueName, type StoreFixture } from './fixture.ts';

describe('store contract: embedded backend (SQLite file)', () => {
  let directory: string;
  let fixture: StoreFixture | undefined;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cfapi-embedded-contract-'));
    const store = await openEmbeddedStore({ file: join(directory, 'store.sqlite') });
    fixture = {
      backend: 'embedded',
      store,
      // The embedded store trusts the authenticator that ran before it; it authorizes name and groups.
      newUser: async (groups = []) => ({ name: uniqueName('user'), groups, credentials: { scheme: 'bearer', token: 'checked-upstream' } }),
    };
  });

  after(async () => {
    await fixture?.store.close();
    await rm(directory, { recursive: true, force: true });
  });

  storeContract(() => {
    if (!fixture) throw new Error('the embedded store fixture did not start');
    return fixture;
  });
});
