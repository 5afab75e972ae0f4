import { expect } from 'chai';
import type { ControlPlane } from '../../scripts/control-plane/control-plane.ts';
import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';
import type { StoreUser } from '../../src/store/port.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { createNamespace, eventually, grantInNamespace, type StoreFixture } from '../store/fixture.ts';
import { expectStoreError } from '../store/contract/expect-store-error.ts';
import { newApp } from '../store/contract/objects.ts';

// The contract suite's users have client certificates; users with bearer tokens must be authorized
// by the apiserver the same way (the token is what the session sends).
describe('Kubernetes store sessions of bearer-token users', function () {
  let controlPlane: ControlPlane;
  let fixture: StoreFixture;
  let bob: StoreUser;

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    controlPlane = await sharedControlPlane();
    const store = new KubernetesStore(adminKubeConfig(controlPlane));
    fixture = { backend: 'kubernetes', store, newUser: () => Promise.reject(new Error('token users are fixed at start')) };
    const token = controlPlane.tokenUsers.find((user) => user.name === 'token-bob')!;
    bob = { name: token.name, groups: token.groups, credentials: { scheme: 'bearer', token: token.token } };
  });
  after(async () => fixture?.store.close());

  it('are denied without a binding and allowed what a binding grants', async () => {
    const namespace = await createNamespace(fixture);
    const app = await fixture.store.privileged().create(newApp(namespace));
    const session = fixture.store.as(bob);
    const ref = { kind: 'CFApp' as const, namespace, name: app.metadata.name };
    await expectStoreError(session.get(ref), 'Forbidden');
    await grantInNamespace(fixture, bob, namespace, [{ apiGroups: ['korifi.cloudfoundry.org'], resources: ['cfapps'], verbs: ['get'] }]);
    expect((await eventually(() => session.get(ref))).metadata.uid).to.equal(app.metadata.uid);
  });

  it('are Unauthorized with a token the apiserver does not know', async () => {
    const stranger = fixture.store.as({ name: 'nobody', groups: [], credentials: { scheme: 'bearer', token: 'not-a-token' } });
    await expectStoreError(stranger.list('CFApp'), 'Unauthorized');
  });
});
