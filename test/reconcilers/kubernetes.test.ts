import { withKorifiLabels } from '../../src/store/korifi-labels/labelled-store.ts';
import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import type { Store } from '../../src/store/port.ts';
import { leaderElectionScenarios } from './leader-election-scenarios.ts';
import { tenancyReconcilerScenarios } from './tenancy-scenarios.ts';

// Kubernetes' namespace controller takes seconds to empty and remove a namespace.
const settleMs = 60_000;

describe('org and space reconcilers: Kubernetes backend (real control plane)', function () {
  this.timeout(settleMs * 2);
  let store: Store | undefined;

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    store = withKorifiLabels(new KubernetesStore(adminKubeConfig(await sharedControlPlane())));
  });

  tenancyReconcilerScenarios(() => {
    if (!store) throw new Error('the Kubernetes store did not start');
    return store;
  }, settleMs);

  leaderElectionScenarios(() => {
    if (!store) throw new Error('the Kubernetes store did not start');
    return store;
  });

  // Registered after the scenarios, so that their own clean-up still has the store.
  after(async () => store?.close());
});
