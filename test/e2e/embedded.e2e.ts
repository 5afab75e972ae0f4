import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { projectRoot } from '../support/server-process.ts';
import { startApiServer, type ApiServer } from './support/api-server.ts';
import type { E2eWorld } from './support/world.ts';
import { defineAppsSession } from './apps-session.ts';
import { defineLogsSession } from './logs-session.ts';
import { defineManifestsSession } from './manifests-session.ts';
import { defineRoutesSession } from './routes-session.ts';
import { defineServicesSession } from './services-session.ts';
import { defineTenancySession } from './tenancy-session.ts';
import { readFile } from 'node:fs/promises';

const run = promisify(execFile);

/** The embedded backend as `npm start` serves it; users come from `npm run user:add`, as the README says. */
describe('the cf CLI against the embedded backend', function () {
  this.timeout(5 * 60_000);
  let server: ApiServer;
  let world: E2eWorld;

  before(async () => {
    server = await startApiServer({ env: { CFAPI_APP_RUNTIME: 'scripted' } });
    const serverKubeconfig = join(server.dataDir, 'kubeconfig');
    // Token-only entries live in a second file: KUBECONFIG lists both, as client-go merges them.
    const tokenKubeconfig = join(server.dataDir, '..', 'token-users.kubeconfig');
    const tokenUsers: { name: string; user: { token: string } }[] = [];
    const addUser = async (name: string) => {
      await run('npm', ['run', '--silent', 'user:add', '--', name], {
        cwd: projectRoot,
        env: { ...process.env, CFAPI_DATA_DIR: server.dataDir },
      });
    };
    world = {
      backend: 'embedded',
      apiUrl: server.url,
      kubeconfig: `${serverKubeconfig}:${tokenKubeconfig}`,
      admin: { kubeconfigUser: 'admin', username: 'admin' },
      defaultDomain: 'apps.localhost',
      newCertificateUser: async (name) => {
        await addUser(name);
        return { kubeconfigUser: name, username: name };
      },
      newTokenUser: async (name) => {
        await addUser(name);
        const kubeconfig = parseYaml(await readFile(serverKubeconfig, 'utf8')) as { users: { name: string; user: { token: string } }[] };
        const token = kubeconfig.users.find((user) => user.name === name)?.user.token;
        if (!token) throw new Error(`user:add wrote no token for ${name}`);
        tokenUsers.push({ name: `${name}-token`, user: { token } });
        await writeFile(tokenKubeconfig, stringifyYaml({ apiVersion: 'v1', kind: 'Config', users: tokenUsers }), { mode: 0o600 });
        return { kubeconfigUser: `${name}-token`, username: name };
      },
    };
    await writeFile(tokenKubeconfig, stringifyYaml({ apiVersion: 'v1', kind: 'Config', users: [] }), { mode: 0o600 });
  });
  after(() => server?.stop());

  defineTenancySession(() => world);
  defineAppsSession(() => world);
  defineLogsSession(() => world);
  defineRoutesSession(() => world);
  defineServicesSession(() => world);
  defineManifestsSession(() => world);
});
