import { KubeConfig } from '@kubernetes/client-node';
import { withKorifiLabels } from '../../src/store/korifi-labels/labelled-store.ts';
import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import type { Store } from '../../src/store/port.ts';
import { behindFreezableProxy, freezableProxy, type HangableSession } from './hanging-store.ts';
import { leaderElectionScenarios } from './leader-election-scenarios.ts';
import { tenancyReconcilerScenarios } from './tenancy-scenarios.ts';

// Kubernetes' namespace controller takes seconds to empty and remove a namespace.
const settleMs = 60_000;

describe('org and space reconcilers: Kubernetes backend (real control plane)', function () {
  this.timeout(settleMs * 2);
  let store: Store | undefined;
  let config: KubeConfig | undefined;

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    config = adminKubeConfig(await sharedControlPlane());
    store = withKorifiLabels(new KubernetesStore(config));
  });

  /** A store of its own that reaches the apiserver through a proxy the test can freeze (a network that goes dead). */
  const frozenApiserver = async (): Promise<HangableSession> => {
    const cluster = config?.getCurrentCluster();
    const user = config?.getCurrentUser();
    if (!cluster || !user) throw new Error('the Kubernetes store did not start');
    const proxy = await freezableProxy(new URL(cluster.server));
    const proxied = new KubeConfig();
    proxied.loadFromClusterAndUser({ ...cluster, server: proxy.url }, user);
    const proxiedStore = withKorifiLabels(new KubernetesStore(proxied));
    return behindFreezableProxy(proxiedStore.privileged(), proxy, () => proxiedStore.close());
  };

  tenancyReconcilerScenarios(() => {
    if (!store) throw new Error('the Kubernetes store did not start');
    return store;
  }, settleMs);

  leaderElectionScenarios(
    () => {
      if (!store) throw new Error('the Kubernetes store did not start');
      return store;
    },
    { 'the apiserver stops answering': frozenApiserver },
  );

  // Registered after the scenarios, so that their own clean-up still has the store.
  after(async () => store?.close());
});
