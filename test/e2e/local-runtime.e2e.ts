import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { RestClient } from '../../src/store/kubernetes/rest-client.ts';
import { registryCredentialsSecret, startPackageRegistry, type PackageRegistry } from '../support/package-registry.ts';
import { freePort } from '../support/server-process.ts';
import { startApiServer, type ApiServer } from './support/api-server.ts';
import { e2eCluster, e2eKubeconfig, kubernetesServerArgs } from './support/kubernetes-users.ts';
import { definePushSession, type LocalRuntimeWorld } from './push-session.ts';

/**
 * `cf push` on one machine: `npm start` as it comes (the embedded backend and its local runtime), its
 * router on a free port, the admin of its data directory's kubeconfig.
 */
describe('cf push on the local runtime, embedded backend', function () {
  this.timeout(10 * 60_000);
  let server: ApiServer;
  let world: LocalRuntimeWorld;

  before(async () => {
    const routerPort = await freePort();
    server = await startApiServer({ env: { CFAPI_ROUTER_PORT: String(routerPort) } });
    world = {
      backend: 'embedded',
      apiUrl: server.url,
      kubeconfig: join(server.dataDir, 'kubeconfig'),
      admin: { kubeconfigUser: 'admin', username: 'admin' },
      defaultDomain: 'apps.localhost',
      routerPort,
    };
  });
  after(() => server?.stop());

  definePushSession(() => world);
});

/**
 * The same on a real kube-apiserver: `npm start -- --backend kubernetes --reconcilers` with the local
 * runtime (`CFAPI_APP_RUNTIME=local`), its CF objects in the local control plane, package bits in a
 * real OCI registry (TLS from a test CA, basic auth; the push credentials a docker config Secret in
 * the root namespace, made by the cluster admin), a CF admin by certificate and RoleBinding.
 */
describe('cf push on the local runtime, kubernetes backend', function () {
  this.timeout(10 * 60_000);
  let cluster: RestClient | undefined;
  let registry: PackageRegistry | undefined;
  let server: ApiServer | undefined;
  let world: LocalRuntimeWorld;
  const suffix = randomBytes(3).toString('hex');
  const rootNamespace = `cf-push-${suffix}`;

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    const started = await e2eCluster();
    cluster = started.admin;
    registry = await startPackageRegistry();
    const routerPort = await freePort();
    server = await startApiServer({
      args: kubernetesServerArgs(started.controlPlane),
      env: {
        CFAPI_ROOT_NAMESPACE: rootNamespace,
        CFAPI_APP_RUNTIME: 'local',
        CFAPI_ROUTER_PORT: String(routerPort),
        ...registry.env,
      },
    });
    // The push credentials are read at each push: the Secret may follow the server, which made the namespace.
    await cluster.request({
      method: 'POST',
      path: `/api/v1/namespaces/${rootNamespace}/secrets`,
      body: { apiVersion: 'v1', ...registryCredentialsSecret(registry.registry, rootNamespace) },
    });
    const kubeconfig = await e2eKubeconfig(started);
    world = {
      backend: 'kubernetes',
      apiUrl: server.url,
      kubeconfig: kubeconfig.file,
      admin: await kubeconfig.newCfAdmin(`cf-admin-${suffix}`, rootNamespace),
      defaultDomain: 'apps.localhost',
      routerPort,
    };
  });
  after(async () => {
    await server?.stop();
    await registry?.stop();
    cluster?.close();
  });

  definePushSession(() => world);
});
