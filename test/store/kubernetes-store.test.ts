import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { storeContract } from './contract/index.ts';
import { uniqueName, type StoreFixture } from './fixture.ts';

describe('store contract: Kubernetes backend (real kube-apiserver)', function () {
  let fixture: StoreFixture | undefined;

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    const controlPlane = await sharedControlPlane();
    const store = new KubernetesStore(adminKubeConfig(controlPlane));
    fixture = {
      backend: 'kubernetes',
      store,
      newUser: async (groups = []) => {
        const name = uniqueName('user');
        const pair = await controlPlane.issueUser(name, groups);
        return { name, groups, credentials: { scheme: 'clientCert', ...pair } };
      },
    };
  });

  after(async () => fixture?.store.close());

  storeContract(() => {
    if (!fixture) throw new Error('the Kubernetes store fixture did not start');
    return fixture;
  });
});
