import { randomBytes } from 'node:crypto';
import type { RestClient } from '../../src/store/kubernetes/rest-client.ts';
import { startApiServer, type ApiServer } from './support/api-server.ts';
import { e2eCluster, e2eKubeconfig, kubernetesServerArgs } from './support/kubernetes-users.ts';
import type { E2eWorld } from './support/world.ts';
import { defineAppsSession } from './apps-session.ts';
import { defineLogsSession } from './logs-session.ts';
import { defineManifestsSession } from './manifests-session.ts';
import { defineRoutesSession } from './routes-session.ts';
import { defineServicesSession } from './services-session.ts';
import { defineTenancySession } from './tenancy-session.ts';

/**
 * The kubernetes backend on the local control plane, as a cluster admin would set it up: `npm start --
 * --backend kubernetes --reconcilers`, users made by the cluster (certificates from approved
 * CertificateSigningRequests, service-account tokens from token Secrets) and written into the
 * kubeconfig the CLI reads, a CF admin made with a RoleBinding as the README says.
 */
describe('the cf CLI against the kubernetes backend', function () {
  this.timeout(10 * 60_000);
  let cluster: RestClient;
  let server: ApiServer;
  let world: E2eWorld;
  const suffix = randomBytes(3).toString('hex');
  const rootNamespace = `cf-e2e-${suffix}`;
  const robotsNamespace = `e2e-robots-${suffix}`;

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    const started = await e2eCluster();
    cluster = started.admin;
    server = await startApiServer({
      args: kubernetesServerArgs(started.controlPlane),
      env: { CFAPI_ROOT_NAMESPACE: rootNamespace, CFAPI_APP_RUNTIME: 'scripted' },
    });
    await cluster.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: robotsNamespace } },
    });

    const kubeconfig = await e2eKubeconfig(started);
    // README: a RoleBinding to the admin ClusterRole in the root namespace, marked for propagation.
    const admin = await kubeconfig.newCfAdmin(`cf-admin-${suffix}`, rootNamespace);
    world = {
      backend: 'kubernetes',
      apiUrl: server.url,
      kubeconfig: kubeconfig.file,
      admin,
      defaultDomain: 'apps.localhost',
      newCertificateUser: kubeconfig.newCertificateUser,
      newTokenUser: (name) => kubeconfig.newTokenUser(robotsNamespace, name),
    };
  });
  after(async () => {
    await server?.stop();
    cluster?.close();
  });

  defineTenancySession(() => world);
  defineAppsSession(() => world);
  defineLogsSession(() => world);
  defineRoutesSession(() => world);
  defineServicesSession(() => world);
  defineManifestsSession(() => world);
});
