import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { components } from '../../../generated/openapi-types.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';

type Route = components['schemas']['Route'];
type App = components['schemas']['App'];
type Domain = components['schemas']['Domain'];

/**
 * The read side of routes (`cf apps`, `cf app` and `cf delete -r` need it before routes can be made
 * through the API): CFRoutes are written here straight into the store, as Korifi's API would write them.
 */
forEachBackend('route reads', (cf) => {
  let org: Organization;
  let space: Space;
  let otherSpace: Space;
  let domain: Domain;
  let app: App;
  let otherApp: App;
  let routeGuids: { withHost: string; withPath: string; bare: string; foreign: string };
  let developer: CfUser;

  const createApp = async (spaceGuid: string) => {
    const response = await cf.post('/v3/apps', { name: uniqueName('app'), relationships: { space: { data: { guid: spaceGuid } } } });
    expect(response.status, response.text).to.equal(201);
    return response.body as App;
  };

  const writeRoute = async (spaceGuid: string, spec: { host?: string; path?: string; appGuids?: string[] }) => {
    const guid = randomUUID();
    await cf.server.store.privileged().create({
      kind: 'CFRoute',
      metadata: { name: guid, namespace: spaceGuid },
      spec: {
        ...(spec.host === undefined ? {} : { host: spec.host }),
        ...(spec.path === undefined ? {} : { path: spec.path }),
        protocol: 'http',
        domainRef: { name: domain.guid, namespace: cf.server.config.rootNamespace },
        destinations: (spec.appGuids ?? []).map((appGuid) => ({
          guid: randomUUID(),
          appRef: { name: appGuid },
          processType: 'web',
          protocol: 'http1' as const,
        })),
      },
    });
    return guid;
  };

  before(async () => {
    org = await cf.createOrg();
    space = await cf.createSpace(org.guid);
    otherSpace = await cf.createSpace(org.guid);
    const domains = await cf.get(`/v3/domains?names=${cf.server.config.defaultDomain}`);
    domain = (domains.body as ListOf<Domain>).resources[0]!;
    app = await createApp(space.guid);
    otherApp = await createApp(otherSpace.guid);
    routeGuids = {
      withHost: await writeRoute(space.guid, { host: 'my-app', appGuids: [app.guid] }),
      withPath: await writeRoute(space.guid, { host: 'api', path: '/v1', appGuids: [app.guid] }),
      bare: await writeRoute(space.guid, { path: '/docs' }),
      foreign: await writeRoute(otherSpace.guid, { host: 'other', appGuids: [otherApp.guid] }),
    };
    developer = await cf.newUser('dev');
    await cf.grant(developer.name, 'organization_user', { organization: org.guid });
    await cf.grant(developer.name, 'space_developer', { space: space.guid });
  });

  const list = async (query: string, as?: CfUser) => {
    const response = await cf.get(`/v3/routes${query}`, as?.headers);
    expect(response.status, response.text).to.equal(200);
    return response.body as ListOf<Route> & { included?: Record<string, { guid: string }[]> };
  };
  const guidsOf = (page: ListOf<Route>) => page.resources.map((route) => route.guid).sort();

  it('presents a route as CF does: url from host, domain and path; destinations with CF defaults', async () => {
    const response = await cf.get(`/v3/routes/${routeGuids.withPath}`);
    expect(response.status, response.text).to.equal(200);
    const route = response.body as Route;
    expect(route).to.deep.include({
      guid: routeGuids.withPath,
      protocol: 'http',
      host: 'api',
      path: '/v1',
      port: null,
      url: `api.${domain.name}/v1`,
      options: {},
      relationships: { space: { data: { guid: space.guid } }, domain: { data: { guid: domain.guid } } },
    });
    expect(route.destinations).to.have.length(1);
    expect(route.destinations[0]).to.deep.include({
      app: { guid: app.guid, process: { type: 'web' } },
      weight: null,
      port: 8080,
      protocol: 'http1',
    });
    const bare = (await cf.get(`/v3/routes/${routeGuids.bare}`)).body as Route;
    expect(bare.url).to.equal(`${domain.name}/docs`);
    expect(bare.host).to.equal('');
  });

  it('filters by app, space, domain, host and path (an empty value matches routes without one), and ports match none', async () => {
    expect(guidsOf(await list(`?app_guids=${app.guid}`))).to.deep.equal([routeGuids.withHost, routeGuids.withPath].sort());
    expect(guidsOf(await list(`?space_guids=${otherSpace.guid}`))).to.deep.equal([routeGuids.foreign]);
    expect(guidsOf(await list(`?space_guids=${space.guid}&hosts=`))).to.deep.equal([routeGuids.bare]);
    expect(guidsOf(await list(`?space_guids=${space.guid}&hosts=my-app&paths=`))).to.deep.equal([routeGuids.withHost]);
    expect(guidsOf(await list(`?domain_guids=${domain.guid}&hosts=api&paths=/v1`))).to.deep.equal([routeGuids.withPath]);
    expect(guidsOf(await list(`?space_guids=${space.guid}&ports=8080`))).to.deep.equal([]);
    expect(guidsOf(await list(`?organization_guids=${org.guid}&guids=${routeGuids.foreign},${routeGuids.bare}`))).to.deep.equal(
      [routeGuids.foreign, routeGuids.bare].sort(),
    );
  });

  it('adds the domain, space and organization with include, each once', async () => {
    const page = await list(`?space_guids=${space.guid}&include=domain,space,space.organization`);
    expect(page.included?.['domains']?.map((entry) => entry.guid)).to.deep.equal([domain.guid]);
    expect(page.included?.['spaces']?.map((entry) => entry.guid)).to.deep.equal([space.guid]);
    expect(page.included?.['organizations']?.map((entry) => entry.guid)).to.deep.equal([org.guid]);
  });

  it("lists an app's routes and a route's destinations", async () => {
    const response = await cf.get(`/v3/apps/${app.guid}/routes`);
    expect(response.status, response.text).to.equal(200);
    expect(guidsOf(response.body as ListOf<Route>)).to.deep.equal([routeGuids.withHost, routeGuids.withPath].sort());
    const destinations = await cf.get(`/v3/routes/${routeGuids.withHost}/destinations`);
    expect(destinations.status, destinations.text).to.equal(200);
    const body = destinations.body as components['schemas']['RouteDestinations'];
    expect(body.destinations.map((destination) => destination.app.guid)).to.deep.equal([app.guid]);
    expect(body.links.route.href).to.equal(cf.url(`/v3/routes/${routeGuids.withHost}`));
  });

  it('shows a space developer the routes of their space only, and 404s the others', async () => {
    expect(guidsOf(await list('', developer))).to.deep.equal([routeGuids.withHost, routeGuids.withPath, routeGuids.bare].sort());
    expectCfError(await cf.get(`/v3/routes/${routeGuids.foreign}`, developer.headers), cfError.notFound('Route'));
    expectCfError(await cf.get(`/v3/apps/${otherApp.guid}/routes`, developer.headers), cfError.notFound('App'));
    expectCfError(await cf.get(`/v3/routes/${routeGuids.foreign}/destinations`, developer.headers), cfError.notFound('Route'));
  });

  it('refuses a bad filter value with a CF error naming it', async () => {
    for (const [query, name] of [
      ['ports=http', 'ports'],
      ['include=app', 'include'],
    ] as const) {
      const response = await cf.get(`/v3/routes?${query}`);
      expect(response.status, response.text).to.equal(422);
      const [error] = (response.body as { errors: { title: string; detail: string }[] }).errors;
      expect(error?.title).to.equal('CF-UnprocessableEntity');
      expect(error?.detail).to.contain(name);
    }
  });
});
