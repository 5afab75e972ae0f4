import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { manifestWorld, postManifest } from './manifest-requests.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { AuthHeaders, ListOf, Space } from '../tenancy/resources.ts';

type App = components['schemas']['App'];
type Process = components['schemas']['Process'];
type Route = components['schemas']['Route'];
type Job = components['schemas']['Job'];

const appName = () => uniqueName('mf').replaceAll('_', '-').toLowerCase();

/** `POST /v3/spaces/{guid}/actions/apply_manifest` (`cf push`): Korifi's normaliser, checks and texts, then the apps' writes. */
forEachBackend('apply manifest', (cf) => {
  let space: Space;
  let otherSpace: Space;
  let developer: CfUser;
  let manager: CfUser;
  let domainName: string;

  before(async () => {
    ({ space, otherSpace, developer, manager, domainName } = await manifestWorld(cf));
  });

  async function apply(manifest: unknown, spaceGuid = space.guid, as?: AuthHeaders): Promise<Job> {
    const response = await postManifest(cf, spaceGuid, manifest, as === undefined ? {} : { as });
    expect(response.status, response.text).to.equal(202);
    const location = response.headers.get('location') ?? '';
    expect(location).to.equal(cf.url(`/v3/jobs/space.apply_manifest~${spaceGuid}`));
    const job = await cf.get(location.slice(cf.server.externalUrl.length), as);
    expect(job.status, job.text).to.equal(200);
    return job.body as Job;
  }

  async function appNamed(name: string, spaceGuid = space.guid): Promise<App | undefined> {
    const response = await cf.get(`/v3/apps?names=${name}&space_guids=${spaceGuid}`);
    return (response.body as ListOf<App>).resources[0];
  }

  async function processesOf(app: App): Promise<Process[]> {
    // Lists hide commands: each process is read on its own.
    const response = await cf.get(`/v3/apps/${app.guid}/processes`);
    const types = (response.body as ListOf<Process>).resources.map((process) => process.type).sort();
    return Promise.all(types.map(async (type) => (await cf.get(`/v3/apps/${app.guid}/processes/${type}`)).body as Process));
  }

  async function routeUrlsOf(app: App): Promise<string[]> {
    const response = await cf.get(`/v3/apps/${app.guid}/routes`);
    return (response.body as ListOf<Route>).resources.map((route) => route.url).sort();
  }

  async function envOf(app: App): Promise<Record<string, string>> {
    const response = await cf.get(`/v3/apps/${app.guid}/environment_variables`);
    return (response.body as { var: Record<string, string> }).var;
  }

  it('creates a stopped app with its variables, lifecycle, processes (app-level settings on web) and routes; the job is COMPLETE', async () => {
    const name = appName();
    const job = await apply({
      version: 1,
      applications: [
        {
          name,
          path: '/local/dir',
          env: { GREETING: 'hello', PORT: 8080, DEBUG: true },
          buildpacks: ['nodejs_buildpack'],
          stack: 'cflinuxfs4',
          memory: '256M',
          'disk-quota': '1G',
          instances: 2,
          command: 'node server.js',
          'health-check-type': 'http',
          'health-check-http-endpoint': '/health',
          timeout: 30,
          routes: [{ route: `${name}.${domainName}` }, { route: `${name}-api.${domainName}/v1` }],
          processes: [{ type: 'worker', command: 'node worker.js', instances: 3, memory: '0.5G', 'health-check-type': 'none' }],
          metadata: { labels: { tier: 'front' }, annotations: { owner: 'team-a' } },
        },
      ],
    });
    expect(job.state).to.equal('COMPLETE');
    expect(job.operation).to.equal('space.apply_manifest');
    const app = (await appNamed(name))!;
    expect(app.state).to.equal('STOPPED');
    expect(app.lifecycle).to.deep.equal({ type: 'buildpack', data: { buildpacks: ['nodejs_buildpack'], stack: 'cflinuxfs4' } });
    expect(app.metadata.labels).to.deep.equal({ tier: 'front' });
    expect(app.metadata.annotations).to.deep.equal({ owner: 'team-a' });
    expect(await envOf(app)).to.deep.equal({ GREETING: 'hello', PORT: '8080', DEBUG: 'true' });
    const [web, worker] = await processesOf(app);
    expect(web).to.include({ type: 'web', command: 'node server.js', instances: 2, memory_in_mb: 256, disk_in_mb: 1024 });
    expect(web!.health_check).to.deep.equal({ type: 'http', data: { endpoint: '/health', timeout: 30, invocation_timeout: null } });
    expect(worker).to.include({ type: 'worker', command: 'node worker.js', instances: 3, memory_in_mb: 512, disk_in_mb: 1024 });
    expect(worker!.health_check.type).to.equal('process');
    expect(await routeUrlsOf(app)).to.deep.equal([`${name}-api.${domainName}/v1`, `${name}.${domainName}`].sort());
  });

  it('maps the default route only when neither the manifest nor the app has routes, and a random route on the default domain', async () => {
    const name = appName();
    expect((await apply({ applications: [{ name, 'default-route': true }] })).state).to.equal('COMPLETE');
    const app = (await appNamed(name))!;
    expect(await routeUrlsOf(app)).to.deep.equal([`${name}.${domainName}`]);
    // Applied again: the app has a route, so nothing is added, and the web process is not duplicated.
    expect((await apply({ applications: [{ name, 'random-route': true }] })).state).to.equal('COMPLETE');
    expect(await routeUrlsOf(app)).to.deep.equal([`${name}.${domainName}`]);
    expect((await processesOf(app)).map((process) => process.type)).to.deep.equal(['web']);

    // An app name may have underscores, which a host may not: the default route has dashes.
    const underscored = `${appName()}_Svc`;
    expect((await apply({ applications: [{ name: underscored, 'default-route': true }] })).state).to.equal('COMPLETE');
    expect(await routeUrlsOf((await appNamed(underscored))!)).to.deep.equal([
      `${underscored.replaceAll('_', '-').toLowerCase()}.${domainName}`,
    ]);

    const randomName = appName();
    expect((await apply({ applications: [{ name: randomName, 'random-route': true }] })).state).to.equal('COMPLETE');
    const [url] = await routeUrlsOf((await appNamed(randomName))!);
    expect(url).to.match(new RegExp(`^${randomName}-[a-z]+-[a-z]+-[a-z]{2}\\.${domainName.replaceAll('.', '\\.')}$`));
  });

  it('removes the app from every route under no-route, leaving the routes', async () => {
    const name = appName();
    await apply({ applications: [{ name, routes: [{ route: `${name}.${domainName}` }] }] });
    const app = (await appNamed(name))!;
    expect(await routeUrlsOf(app)).to.have.length(1);
    expect((await apply({ applications: [{ name, 'no-route': true }] })).state).to.equal('COMPLETE');
    expect(await routeUrlsOf(app)).to.deep.equal([]);
    const routes = await cf.get(`/v3/routes?hosts=${name}&space_guids=${space.guid}`);
    expect((routes.body as ListOf<Route>).resources).to.have.length(1);
  });

  it('updates an existing app: variables merged, processes scaled and changed, routes added once', async () => {
    const name = appName();
    await apply({ applications: [{ name, env: { A: '1', B: '2' }, routes: [{ route: `${name}.${domainName}` }] }] });
    const app = (await appNamed(name))!;
    const job = await apply({
      applications: [
        {
          name,
          env: { B: 'two', C: '3' },
          routes: [{ route: `${name}.${domainName}` }, { route: `${name}-2.${domainName}` }],
          processes: [{ type: 'web', instances: 4, memory: '128MB', command: 'run.sh', 'health-check-type': 'process', timeout: 10 }],
          metadata: { labels: { stage: 'two' } },
        },
      ],
    });
    expect(job.state).to.equal('COMPLETE');
    expect(await envOf(app)).to.deep.equal({ A: '1', B: 'two', C: '3' });
    const [web] = await processesOf(app);
    expect(web).to.include({ instances: 4, memory_in_mb: 128, command: 'run.sh' });
    expect(web!.health_check.type).to.equal('process');
    expect(web!.health_check.data.timeout).to.equal(10);
    expect(await routeUrlsOf(app)).to.deep.equal([`${name}-2.${domainName}`, `${name}.${domainName}`].sort());
    const route = await cf.get(`/v3/routes?hosts=${name}`);
    expect((route.body as ListOf<Route>).resources[0]!.destinations).to.have.length(1);
    expect((await appNamed(name))!.metadata.labels).to.deep.equal({ stage: 'two' });
  });

  it('applies several apps, and as a space developer', async () => {
    const [first, second] = [appName(), appName()];
    const job = await apply({ applications: [{ name: first }, { name: second, instances: 0 }] }, space.guid, developer.headers);
    expect(job.state).to.equal('COMPLETE');
    expect(await appNamed(first)).to.not.equal(undefined);
    expect((await processesOf((await appNamed(second))!))[0]!.instances).to.equal(0);
  });

  it('binds service instances by name (with a binding name), once', async () => {
    const instanceName = uniqueName('upsi');
    const created = await cf.post('/v3/service_instances', {
      type: 'user-provided',
      name: instanceName,
      credentials: { password: 'secret' },
      relationships: { space: { data: { guid: space.guid } } },
    });
    expect(created.status, created.text).to.equal(201);
    const name = appName();
    const manifest = { applications: [{ name, services: [{ name: instanceName, binding_name: 'db' }] }] };
    expect((await apply(manifest)).state).to.equal('COMPLETE');
    expect((await apply({ applications: [{ name, services: [instanceName] }] })).state).to.equal('COMPLETE');
    const app = (await appNamed(name))!;
    const bindings = await cf.get(`/v3/service_credential_bindings?app_guids=${app.guid}`);
    const resources = (bindings.body as ListOf<{ name: string | null }>).resources;
    expect(resources.map((binding) => binding.name)).to.deep.equal(['db']);
  });

  describe('refuses with Korifi-style 422 texts before writing anything', () => {
    const refused = async (manifest: unknown, detail: string) => {
      const response = await postManifest(cf, space.guid, manifest);
      expectCfError(response, cfError.unprocessable(detail));
    };

    it('default-route with random-route, both disk quota spellings, amounts of 0 MB, docker with buildpacks', async () => {
      const name = appName();
      await refused(
        {
          applications: [
            { name: appName() },
            {
              name,
              'default-route': true,
              'random-route': true,
              disk_quota: '1G',
              'disk-quota': '1G',
              memory: '100K',
              docker: { image: 'nginx' },
              buildpacks: ['go_buildpack'],
              processes: [{ type: 'worker', disk_quota: '0M' }],
            },
          ],
        },
        [
          'applications[1].default-route and random-route may not be used together',
          'applications[1].disk_quota and disk-quota may not be used together',
          'applications[1].docker must be blank when buildpacks are specified',
          'applications[1].memory must be greater than 0MB',
          'applications[1].processes[0].disk_quota must be greater than 0MB',
        ].join(', '),
      );
      expect(await appNamed(name)).to.equal(undefined);
    });

    it('an amount without a supported unit, a missing name, a negative instance count, an unknown health check type', async () => {
      await refused(
        { applications: [{ name: appName(), memory: '256' }] },
        'applications[0].memory must use a supported unit (B, K, KB, M, MB, G, GB, T, or TB)',
      );
      await refused({ applications: [{ memory: '256M' }] }, 'applications[0].name cannot be blank');
      await refused({ applications: [{ name: appName(), instances: -1 }] }, 'applications[0].instances must be greater than or equal to 0');
      await refused(
        { applications: [{ name: appName(), 'health-check-type': 'tcp' }] },
        'applications[0].health-check-type value must be one of: none, process, port, http',
      );
      await refused(
        { applications: [{ name: appName(), processes: [{ command: 'x' }] }] },
        'applications[0].processes[0].type cannot be blank',
      );
    });

    it('a route that is malformed or on a domain that does not exist, an instance that does not exist; nothing of the first app is written', async () => {
      const first = appName();
      await refused(
        { applications: [{ name: first }, { name: appName(), routes: [{ route: 'not a route' }] }] },
        'applications[1].routes[0].route is not a valid route',
      );
      await refused(
        { applications: [{ name: first }, { name: appName(), routes: [{ route: 'www.no-such-domain.example' }] }] },
        "The route 'www.no-such-domain.example' did not match any existing domains.",
      );
      await refused(
        { applications: [{ name: first }, { name: appName(), services: ['no-such-instance'] }] },
        "Service instance 'no-such-instance' not found",
      );
      expect(await appNamed(first)).to.equal(undefined);
    });

    it('a host or path the route writes would refuse, a process type that cannot name a process', async () => {
      await refused(
        { applications: [{ name: appName(), routes: [{ route: `x.${domainName}/bad path?` }] }] },
        'Path cannot contain a question mark',
      );
      await refused(
        {
          applications: [
            { name: appName(), routes: [{ route: `x.${domainName}`, protocol: 'http2', options: { loadbalancing: 'least-connection' } }] },
          ],
        },
        "applications[0].routes[0].options are not supported, applications[0].routes[0].protocol 'http2' is not supported; only 'http1' is",
      );
      await refused(
        { applications: [{ name: appName(), processes: [{ type: 'Bad Type!' }] }] },
        'applications[0].processes[0].type must be at most 63 letters, digits, dashes, underscores or dots, starting and ending with a letter or digit',
      );
    });

    it('the same app twice', async () => {
      const name = appName();
      await refused({ applications: [{ name }, { name }] }, `Application '${name}' is listed more than once in the manifest.`);
    });
  });

  it('answers 404 for a space the caller cannot see and 403 to a space manager', async () => {
    const hidden = await postManifest(cf, otherSpace.guid, { applications: [{ name: appName() }] }, { as: developer.headers });
    expectCfError(hidden, cfError.notFound('Space'));
    const name = appName();
    const forbidden = await postManifest(cf, space.guid, { applications: [{ name }] }, { as: manager.headers });
    expectCfError(forbidden, cfError.notAuthorized());
    expect(await appNamed(name)).to.equal(undefined);
  });

  it('reports FAILED with the error when a write fails midway, and COMPLETE again after a later apply', async () => {
    const taken = appName();
    await apply({ applications: [{ name: appName(), routes: [{ route: `${taken}.${domainName}` }] }] }, otherSpace.guid);
    const name = appName();
    const job = await apply({ applications: [{ name, routes: [{ route: `${taken}.${domainName}` }] }] });
    expect(job.state).to.equal('FAILED');
    expect(job.errors).to.deep.equal([
      { code: 10008, title: 'CF-UnprocessableEntity', detail: `Route already exists with host '${taken}' for domain '${domainName}'.` },
    ]);
    // The app was made before the route failed: the job does not claim more.
    expect(await appNamed(name)).to.not.equal(undefined);
    expect((await apply({ applications: [{ name }] })).state).to.equal('COMPLETE');
  });
});
