import { randomBytes } from 'node:crypto';
import type { RestClient } from '../../src/store/kubernetes/rest-client.ts';
import { installChart, installedConfigFile, serviceAccountKubeconfig } from '../helm/support/helm-chart.ts';
import { freePort } from '../support/server-process.ts';
import { startApiServer, type ApiServer } from './support/api-server.ts';
import { e2eCluster, e2eKubeconfig } from './support/kubernetes-users.ts';
import type { E2eWorld } from './support/world.ts';
import { defineAppsSession } from './apps-session.ts';
import { defineLogsSession } from './logs-session.ts';
import { defineManifestsSession } from './manifests-session.ts';
import { defineRoutesSession } from './routes-session.ts';
import { defineServicesSession } from './services-session.ts';
import { defineTenancySession } from './tenancy-session.ts';

/**
 * The kubernetes backend on the local control plane, as a cluster admin would set it up: the Helm
 * chart installed with `helm install` in a namespace of its own, the server started as its pod would
 * run (`npm start -- --config <the chart's ConfigMap> --kubeconfig <a token of the chart's
 * ServiceAccount>`: the chart's RBAC and nothing more; no kubelet runs pods here), users made by the
 * cluster (certificates from approved CertificateSigningRequests, service-account tokens from token
 * Secrets) and written into the kubeconfig the CLI reads, a CF admin made with a RoleBinding as the
 * README says.
 */
describe('the cf CLI against the kubernetes backend', function () {
  this.timeout(10 * 60_000);
  let cluster: RestClient;
  let server: ApiServer;
  let world: E2eWorld;
  const suffix = randomBytes(3).toString('hex');
  const rootNamespace = `cf-e2e-${suffix}`;
  const robotsNamespace = `e2e-robots-${suffix}`;
  const releaseNamespace = `cfapi-e2e-${suffix}`;

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    const started = await e2eCluster();
    cluster = started.admin;
    const port = await freePort();
    const installed = await installChart(started.controlPlane, cluster, {
      release: `e2e-${suffix}`,
      namespace: releaseNamespace,
      values: {
        config: {
          externalUrl: `http://127.0.0.1:${port}`,
          rootNamespace,
          defaultDomain: 'apps.localhost',
          reconcilers: true,
          appRuntime: 'scripted',
        },
      },
    });
    server = await startApiServer({
      port,
      args: [
        '--config',
        await installedConfigFile(cluster, installed),
        '--kubeconfig',
        await serviceAccountKubeconfig(started.controlPlane, cluster, installed),
      ],
      // The pod listens on every interface; here only loopback.
      env: { CFAPI_LISTEN_HOST: '127.0.0.1' },
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
