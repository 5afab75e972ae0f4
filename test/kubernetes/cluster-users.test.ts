import { expect } from 'chai';
import { createServiceAccountUser, requestCertificateUser } from '../../scripts/control-plane/cluster-users.ts';
import { userConfig } from '../../src/store/kubernetes/kubernetes-store.ts';
import { RestClient } from '../../src/store/kubernetes/rest-client.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { uniqueName } from '../store/fixture.ts';

type SelfSubjectReview = { status?: { userInfo?: { username?: string; groups?: string[] } } };

/** Who the apiserver takes a client for. */
async function whoAmI(client: RestClient): Promise<{ username?: string; groups?: string[] }> {
  const review = await client.request<SelfSubjectReview>({
    method: 'POST',
    path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  return review.status?.userInfo ?? {};
}

describe('the local control plane makes users as a real cluster does', function () {
  let admin: RestClient;
  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    admin = new RestClient(adminKubeConfig(await sharedControlPlane()));
  });
  after(() => admin.close());

  it('signs an approved CertificateSigningRequest with the CA the apiserver trusts', async () => {
    const name = uniqueName('csr-user');
    const pair = await requestCertificateUser(admin, name, ['csr-group']);
    const client = new RestClient(userConfig(adminKubeConfig(await sharedControlPlane()), { scheme: 'clientCert', ...pair }));
    try {
      const user = await whoAmI(client);
      expect(user.username).to.equal(name);
      expect(user.groups).to.include('csr-group');
    } finally {
      client.close();
    }
  });

  it('fills the token of a service-account token Secret, which the apiserver accepts', async () => {
    const namespace = uniqueName('sa-users');
    await admin.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    });
    const { username, token } = await createServiceAccountUser(admin, namespace, 'robot');
    const client = new RestClient(userConfig(adminKubeConfig(await sharedControlPlane()), { scheme: 'bearer', token }));
    try {
      expect((await whoAmI(client)).username).to.equal(username);
      expect(username).to.equal(`system:serviceaccount:${namespace}:robot`);
    } finally {
      client.close();
    }
  });
});
