import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { components } from '../../../generated/openapi-types.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf, Space } from '../tenancy/resources.ts';
import { giveDroplet, processesOf } from '../processes/process-fixtures.ts';

type App = components['schemas']['App'];
type Domain = components['schemas']['Domain'];
type Process = components['schemas']['Process'];

/** `GET /v3/apps/{guid}/manifest` (`cf create-app-manifest`): the app as YAML, as Cloud Controller lays it out. */
forEachBackend('app manifest', (cf) => {
  let orgGuid: string;
  let space: Space;
  let domain: Domain;

  before(async () => {
    orgGuid = (await cf.createOrg()).guid;
    space = await cf.createSpace(orgGuid);
    const domains = await cf.get(`/v3/domains?names=${cf.server.config.defaultDomain}`);
    domain = (domains.body as ListOf<Domain>).resources[0]!;
  });

  async function createApp(body: Record<string, unknown>): Promise<App> {
    const response = await cf.post('/v3/apps', {
      name: uniqueName('manifest'),
      relationships: { space: { data: { guid: space.guid } } },
      ...body,
    });
    expect(response.status, response.text).to.equal(201);
    return response.body as App;
  }

  /** A route as Korifi's API writes it (route writes are another operation's). */
  async function writeRoute(appGuid: string, host: string, path?: string): Promise<void> {
    await cf.server.store.privileged().create({
      kind: 'CFRoute',
      metadata: { name: randomUUID(), namespace: space.guid },
      spec: {
        host,
        ...(path === undefined ? {} : { path }),
        protocol: 'http',
        domainRef: { name: domain.guid, namespace: cf.server.config.rootNamespace },
        destinations: [{ guid: randomUUID(), appRef: { name: appGuid }, processType: 'web', protocol: 'http1' as const }],
      },
    });
  }

  async function manifestOf(appGuid: string, headers?: Record<string, string>) {
    const response = await cf.get(`/v3/apps/${appGuid}/manifest`, headers);
    return { response, manifest: response.status === 200 ? (parseYaml(response.text) as Record<string, unknown>) : undefined };
  }

  /** The app's web process, made by the app controller from a droplet (a command found by staging: `run-web`). */
  async function webProcessOf(app: App): Promise<Process> {
    await giveDroplet(cf, app);
    const [web] = await processesOf(cf, app.guid, 1);
    return web!;
  }

  it('renders the app with its variables, lifecycle, routes sorted by URL and processes with their settings', async () => {
    const app = await createApp({
      environment_variables: { GREETING: 'hello' },
      lifecycle: { type: 'buildpack', data: { buildpacks: ['nodejs_buildpack'], stack: 'cflinuxfs4' } },
    });
    const web = await webProcessOf(app);
    const scaled = await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: 2, memory_in_mb: 256, disk_in_mb: 512 });
    expect(scaled.status, scaled.text).to.equal(200);
    const updated = await cf.patch(`/v3/processes/${web.guid}`, {
      command: 'node server.js',
      health_check: { type: 'http', data: { endpoint: '/health', timeout: 30, invocation_timeout: 5 } },
    });
    expect(updated.status, updated.text).to.equal(200);
    await writeRoute(app.guid, 'zeta');
    await writeRoute(app.guid, 'alpha', '/api');

    const { response, manifest } = await manifestOf(app.guid);
    expect(response.status, response.text).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^application\/x-yaml/);
    expect(manifest).to.deep.equal({
      version: 1,
      applications: [
        {
          name: app.name,
          env: { GREETING: 'hello' },
          buildpacks: ['nodejs_buildpack'],
          stack: 'cflinuxfs4',
          routes: [
            { route: `alpha.${domain.name}/api`, protocol: 'http1' },
            { route: `zeta.${domain.name}`, protocol: 'http1' },
          ],
          processes: [
            {
              type: 'web',
              instances: 2,
              memory: '256M',
              disk_quota: '512M',
              command: 'node server.js',
              'health-check-type': 'http',
              'health-check-http-endpoint': '/health',
              'health-check-invocation-timeout': 5,
              timeout: 30,
            },
          ],
        },
      ],
    });
  });

  it('leaves out what the app does not have: variables, routes, a command staging found', async () => {
    const app = await createApp({});
    await webProcessOf(app);
    const { manifest } = await manifestOf(app.guid);
    const [application] = (manifest as { applications: Record<string, unknown>[] }).applications;
    expect(application).to.not.have.any.keys('env', 'routes', 'docker');
    expect(application!['name']).to.equal(app.name);
    const [web] = application!['processes'] as Record<string, unknown>[];
    expect(web).to.include({ type: 'web', 'health-check-type': 'port' });
    expect(web).to.not.have.any.keys('command', 'health-check-http-endpoint');
  });

  it("shows a docker app's image from its newest package", async () => {
    const app = await createApp({ lifecycle: { type: 'docker', data: {} } });
    const created = await cf.post('/v3/packages', {
      type: 'docker',
      data: { image: 'registry.example.org/team/app:1.2' },
      relationships: { app: { data: { guid: app.guid } } },
    });
    expect(created.status, created.text).to.equal(201);
    const { manifest } = await manifestOf(app.guid);
    const [application] = (manifest as { applications: Record<string, unknown>[] }).applications;
    expect(application!['docker']).to.deep.equal({ image: 'registry.example.org/team/app:1.2' });
    expect(application).to.not.have.any.keys('buildpacks', 'stack');
  });

  it('is for those who may read the variables: a space auditor gets 403, an outsider 404, an unknown app 404', async () => {
    const app = await createApp({ environment_variables: { SECRET: 'x' } });
    const auditor = await cf.newUser('auditor');
    await cf.grant(auditor.name, 'organization_user', { organization: orgGuid });
    await cf.grant(auditor.name, 'space_auditor', { space: space.guid });
    expectCfError((await manifestOf(app.guid, auditor.headers)).response, cfError.notAuthorized());
    const outsider = await cf.newUser('outsider');
    expectCfError((await manifestOf(app.guid, outsider.headers)).response, cfError.notFound('App'));
    expectCfError((await manifestOf(randomUUID())).response, cfError.notFound('App'));
  });
});
