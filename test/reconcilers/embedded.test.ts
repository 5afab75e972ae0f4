import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStore } from '../../src/store/embedded/embedded-store.ts';
import { withKorifiLabels } from '../../src/store/korifi-labels/labelled-store.ts';
import type { Store } from '../../src/store/port.ts';
import { leaderElectionScenarios } from './leader-election-scenarios.ts';
import { tenancyReconcilerScenarios } from './tenancy-scenarios.ts';

describe('org and space reconcilers: embedded backend', () => {
  let directory: string;
  let store: Store | undefined;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cfapi-reconcilers-'));
    store = withKorifiLabels(await openEmbeddedStore({ file: join(directory, 'store.sqlite') }));
  });

  tenancyReconcilerScenarios(() => {
    if (!store) throw new Error('the embedded store did not open');
    return store;
  }, 10_000);

  leaderElectionScenarios(() => {
    if (!store) throw new Error('the embedded store did not open');
    return store;
  });

  // Registered after the scenarios, so that their own clean-up still has the store.
  after(async () => {
    await store?.close();
    await rm(directory, { recursive: true, force: true });
  });
});
