import { join } from 'node:path';
import { freePort } from '../support/server-process.ts';
import { startApiServer, type ApiServer } from './support/api-server.ts';
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
