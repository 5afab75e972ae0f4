import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { createServiceAccountUser, requestCertificateUser } from '../../scripts/control-plane/cluster-users.ts';
import type { ControlPlane } from '../../scripts/control-plane/control-plane.ts';
import { newRoleBinding } from '../../src/domain/roles/role-binding.ts';
import { RestClient } from '../../src/store/kubernetes/rest-client.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { startApiServer, type ApiServer } from './support/api-server.ts';
import type { E2eUser, E2eWorld } from './support/world.ts';
import { defineAppsSession } from './apps-session.ts';
import { defineLogsSession } from './logs-session.ts';
import { defineManifestsSession } from './manifests-session.ts';
import { defineRoutesSession } from './routes-session.ts';
import { defineServicesSession } from './services-session.ts';
import { defineTenancySession } from './tenancy-session.ts';

type KubeconfigUser = { name: string; user: Record<string, string> };

/**
 * The kubernetes backend on the local control plane, as a cluster admin would set it up: `npm start --
 * --backend kubernetes --reconcilers`, users made by the cluster (certificates from approved
 * CertificateSigningRequests, service-account tokens from token Secrets) and written into the
 * kubeconfig the CLI reads, a CF admin made with a RoleBinding as the README says.
 */
describe('the cf CLI against the kubernetes backend', function () {
  this.timeout(10 * 60_000);
  let controlPlane: ControlPlane;
  let cluster: RestClient;
  let server: ApiServer;
  let world: E2eWorld;
  const suffix = randomBytes(3).toString('hex');
  const rootNamespace = `cf-e2e-${suffix}`;
  const robotsNamespace = `e2e-robots-${suffix}`;

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    controlPlane = await sharedControlPlane();
    cluster = new RestClient(adminKubeConfig(controlPlane));
    server = await startApiServer({
      args: ['--backend', 'kubernetes', '--kubeconfig', controlPlane.kubeconfigFile, '--reconcilers'],
      env: { CFAPI_ROOT_NAMESPACE: rootNamespace, CFAPI_APP_RUNTIME: 'scripted' },
    });
    await cluster.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: robotsNamespace } },
    });

    const kubeconfig = join(await mkdtemp(join(tmpdir(), 'cf-e2e-kube-')), 'kubeconfig');
    const users: KubeconfigUser[] = [];
    const caData = (await readFile(controlPlane.pki.caFile)).toString('base64');
    const writeKubeconfig = () =>
      writeFile(
        kubeconfig,
        stringifyYaml({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'local', cluster: { server: controlPlane.server, 'certificate-authority-data': caData } }],
          contexts: [{ name: 'local', context: { cluster: 'local', user: users[0]?.name ?? '' } }],
          'current-context': 'local',
          users,
        }),
        { mode: 0o600 },
      );
    const newCertificateUser = async (name: string): Promise<E2eUser> => {
      const pair = await requestCertificateUser(cluster, name);
      users.push({
        name,
        user: {
          'client-certificate-data': Buffer.from(pair.certificatePem).toString('base64'),
          'client-key-data': Buffer.from(pair.privateKeyPem).toString('base64'),
        },
      });
      await writeKubeconfig();
      return { kubeconfigUser: name, username: name };
    };

    const admin = await newCertificateUser(`cf-admin-${suffix}`);
    // README: a RoleBinding to the admin ClusterRole in the root namespace, marked for propagation.
    const binding = newRoleBinding('admin', admin.username, rootNamespace);
    await cluster.request({
      method: 'POST',
      path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${rootNamespace}/rolebindings`,
      body: binding,
    });

    world = {
      backend: 'kubernetes',
      apiUrl: server.url,
      kubeconfig,
      admin,
      defaultDomain: 'apps.localhost',
      newCertificateUser,
      newTokenUser: async (name) => {
        const { username, token } = await createServiceAccountUser(cluster, robotsNamespace, name);
        users.push({ name, user: { token } });
        await writeKubeconfig();
        return { kubeconfigUser: name, username };
      },
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
