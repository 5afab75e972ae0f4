import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { components } from '../../../generated/openapi-types.ts';
import { uniqueName } from '../../store/fixture.ts';
import { giveDroplet } from '../lifecycle-fixtures.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';

type Route = components['schemas']['Route'];
type App = components['schemas']['App'];
type Domain = components['schemas']['Domain'];
type Destinations = components['schemas']['RouteDestinations'];

const uniquenessError = (detail: string) => ({ status: 422, code: 10016, title: 'CF-UniquenessError', detail });

/** Route writes through the API, as `cf create-route`, `map-route`, `unmap-route`, `delete-route` and `delete-orphaned-routes` make them. */
forEachBackend('route writes', (cf) => {
  let org: Organization;
  let space: Space;
  let otherSpace: Space;
  let domain: Domain;
  let app: App;
  let otherApp: App;
  let developer: CfUser;
  let auditor: CfUser;

  const createApp = async (spaceGuid: string) => {
    const response = await cf.post('/v3/apps', { name: uniqueName('app'), relationships: { space: { data: { guid: spaceGuid } } } });
    expect(response.status, response.text).to.equal(201);
    return response.body as App;
  };
  const routeBody = (fields: Record<string, unknown>, spaceGuid = space.guid, domainGuid = domain.guid) => ({
    ...fields,
    relationships: { space: { data: { guid: spaceGuid } }, domain: { data: { guid: domainGuid } } },
  });
  const createRoute = async (fields: Record<string, unknown>, spaceGuid?: string) => {
    const response = await cf.post('/v3/routes', routeBody(fields, spaceGuid));
    expect(response.status, response.text).to.equal(201);
    return response.body as Route;
  };
  const host = () => uniqueName('h').replaceAll('_', '-').toLowerCase();
  const stored = (route: Route, namespace = space.guid) =>
    cf.server.store.privileged().get({ kind: 'CFRoute', namespace, name: route.guid });

  before(async () => {
    org = await cf.createOrg();
    space = await cf.createSpace(org.guid);
    otherSpace = await cf.createSpace(org.guid);
    const domains = await cf.get(`/v3/domains?names=${cf.server.config.defaultDomain}`);
    domain = (domains.body as ListOf<Domain>).resources[0]!;
    app = await createApp(space.guid);
    otherApp = await createApp(otherSpace.guid);
    developer = await cf.newUser('dev');
    await cf.grant(developer.name, 'organization_user', { organization: org.guid });
    await cf.grant(developer.name, 'space_developer', { space: space.guid });
    auditor = await cf.newUser('aud');
    await cf.grant(auditor.name, 'organization_user', { organization: org.guid });
    await cf.grant(auditor.name, 'space_manager', { space: space.guid });
  });

  describe('create', () => {
    it('creates a route without destinations, stored as Korifi stores a CFRoute', async () => {
      const name = host();
      const response = await cf.post(
        '/v3/routes',
        routeBody({ host: name, path: '/api', metadata: { labels: { tier: 'web' } } }),
        developer.headers,
      );
      expect(response.status, response.text).to.equal(201);
      const route = response.body as Route;
      expect(route).to.deep.include({
        host: name,
        path: '/api',
        url: `${name}.${domain.name}/api`,
        destinations: [],
        protocol: 'http',
        port: null,
      });
      expect(route.relationships).to.deep.equal({ space: { data: { guid: space.guid } }, domain: { data: { guid: domain.guid } } });
      expect(route.metadata.labels).to.include({ tier: 'web' });
      const cfRoute = await stored(route);
      expect(cfRoute.spec).to.deep.include({ host: name, path: '/api', protocol: 'http' });
      expect(cfRoute.spec.domainRef).to.deep.include({ name: domain.guid, namespace: cf.server.config.rootNamespace });
      expect(cfRoute.metadata.labels).to.include({
        'korifi.cloudfoundry.org/domain-guid': domain.guid,
        'korifi.cloudfoundry.org/space-guid': space.guid,
        'korifi.cloudfoundry.org/route-host': name,
        'korifi.cloudfoundry.org/unmapped': 'true',
      });
      expect(cfRoute.metadata.annotations).to.include({ 'korifi.cloudfoundry.org/app-guids': '' });
      const read = await cf.get(`/v3/routes/${route.guid}`);
      expect(read.status, read.text).to.equal(200);
      expect((read.body as Route).url).to.equal(`${name}.${domain.name}/api`);
    });

    it('refuses the same host (in any letter case), domain and path anywhere on the platform, with the text the cf CLI knows', async () => {
      const name = host();
      await createRoute({ host: name });
      expectCfError(
        await cf.post('/v3/routes', routeBody({ host: name.toUpperCase() }, otherSpace.guid)),
        uniquenessError(`Route already exists with host '${name.toUpperCase()}' for domain '${domain.name}'.`),
      );
      await createRoute({ host: name, path: '/other' }, otherSpace.guid);
      expectCfError(
        await cf.post('/v3/routes', routeBody({ host: name, path: '/other' })),
        uniquenessError(`Route already exists with host '${name}' and path '/other' for domain '${domain.name}'.`),
      );
      // The path keeps its letter case.
      await createRoute({ host: name, path: '/Other' });
    });

    it('lets exactly one of concurrent creates of the same route win', async () => {
      const name = host();
      const responses = await Promise.all(
        [space.guid, otherSpace.guid, space.guid, otherSpace.guid].map((guid) => cf.post('/v3/routes', routeBody({ host: name }, guid))),
      );
      expect(responses.map((response) => response.status).sort()).to.deep.equal([201, 422, 422, 422]);
    });

    it('frees the route for a new one once deleted, also when its space went without the API', async () => {
      const name = host();
      const route = await createRoute({ host: name });
      const deletion = await cf.deleteAndWait(`/v3/routes/${route.guid}`, 'route.delete', route.guid);
      expect(deletion.job.state).to.equal('COMPLETE');
      const again = await createRoute({ host: name });
      // Gone behind the API's back (as with its space): the next create takes the claim over.
      await cf.server.store.privileged().delete({ kind: 'CFRoute', namespace: space.guid, name: again.guid });
      await createRoute({ host: name }, otherSpace.guid);
    });

    it("refuses hosts and paths with Korifi's texts", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{}, 'Missing host. Routes in shared domains must have a host defined.'],
        [{ host: '' }, 'host cannot be empty'],
        [{ host: 'a'.repeat(64) }, 'host is too long (maximum is 63 characters)'],
        [{ host: 'no.dots' }, 'host must be either "*" or contain only alphanumeric characters, "_", or "-"'],
        [{ host: '*' }, `FQDN '*.${domain.name}' does not comply with RFC 1035 standards`],
        [{ host: '1abc' }, `FQDN '1abc.${domain.name}' does not comply with RFC 1035 standards`],
        [{ host: 'ok', path: '/' }, 'Path cannot be a single slash'],
        [{ host: 'ok', path: 'relative' }, 'Invalid Route URI'],
        [{ host: 'ok', path: '/a?b' }, 'Path cannot contain a question mark'],
        [{ host: 'ok', path: `/${'p'.repeat(128)}` }, 'Path cannot exceed 128 characters'],
        [{ host: 'ok', options: { loadbalancing: 'hash' } }, 'Route options are not supported.'],
      ];
      for (const [fields, detail] of cases) expectCfError(await cf.post('/v3/routes', routeBody(fields)), cfError.unprocessable(detail));
    });

    it('refuses an unknown or invisible space or domain with 422, and a reader with 403', async () => {
      expectCfError(
        await cf.post('/v3/routes', routeBody({ host: host() }, randomUUID())),
        cfError.unprocessable('Invalid space. Ensure that the space exists and you have access to it.'),
      );
      expectCfError(
        await cf.post('/v3/routes', routeBody({ host: host() }, otherSpace.guid), developer.headers),
        cfError.unprocessable('Invalid space. Ensure that the space exists and you have access to it.'),
      );
      expectCfError(
        await cf.post('/v3/routes', routeBody({ host: host() }, space.guid, randomUUID())),
        cfError.unprocessable('Invalid domain. Ensure that the domain exists and you have access to it.'),
      );
      expectCfError(await cf.post('/v3/routes', routeBody({ host: host() }), auditor.headers), cfError.notAuthorized());
      const malformed = await cf.post('/v3/routes', { host: 'x' });
      expect(malformed.status, malformed.text).to.equal(422);
    });
  });

  describe('update and delete', () => {
    it('changes labels and annotations; readers get 403, strangers 404', async () => {
      const route = await createRoute({ host: host() });
      const response = await cf.patch(
        `/v3/routes/${route.guid}`,
        { metadata: { labels: { a: 'b' }, annotations: { note: 'x' } } },
        developer.headers,
      );
      expect(response.status, response.text).to.equal(200);
      expect((response.body as Route).metadata.labels).to.include({ a: 'b' });
      expect((response.body as Route).metadata.annotations).to.include({ note: 'x' });
      const removed = await cf.patch(`/v3/routes/${route.guid}`, { metadata: { labels: { a: null } } });
      expect((removed.body as Route).metadata.labels).to.not.have.property('a');
      expectCfError(
        await cf.patch(`/v3/routes/${route.guid}`, { metadata: { labels: { a: 'c' } } }, auditor.headers),
        cfError.notAuthorized(),
      );
      const foreign = await createRoute({ host: host() }, otherSpace.guid);
      expectCfError(await cf.patch(`/v3/routes/${foreign.guid}`, { metadata: {} }, developer.headers), cfError.notFound('Route'));
      expectCfError(await cf.patch(`/v3/routes/${randomUUID()}`, { metadata: {} }), cfError.notFound('Route'));
      expectCfError(
        await cf.patch(`/v3/routes/${route.guid}`, { options: { loadbalancing: 'hash' } }),
        cfError.unprocessable('Route options are not supported.'),
      );
    });

    it('deletes a route with a route.delete job; readers get 403, strangers 404', async () => {
      const route = await createRoute({ host: host() });
      expectCfError(await cf.delete(`/v3/routes/${route.guid}`, auditor.headers), cfError.notAuthorized());
      const foreign = await createRoute({ host: host() }, otherSpace.guid);
      expectCfError(await cf.delete(`/v3/routes/${foreign.guid}`, developer.headers), cfError.notFound('Route'));
      const response = await cf.delete(`/v3/routes/${route.guid}`, developer.headers);
      expect(response.status, response.text).to.equal(202);
      expect(response.headers.get('location')).to.equal(cf.url(`/v3/jobs/route.delete~${route.guid}`));
      const { job } = await cf.pollJob(response.headers.get('location') ?? '', developer.headers);
      expect(job.state).to.equal('COMPLETE');
      expectCfError(await cf.get(`/v3/routes/${route.guid}`), cfError.notFound('Route'));
      expectCfError(await cf.delete(`/v3/routes/${route.guid}`), cfError.notFound('Route'));
    });
  });

  describe('destinations', () => {
    it('maps apps (process web by default), skips duplicates, and answers all destinations', async () => {
      const route = await createRoute({ host: host() });
      const secondApp = await createApp(space.guid);
      const first = await cf.post(
        `/v3/routes/${route.guid}/destinations`,
        { destinations: [{ app: { guid: app.guid } }] },
        developer.headers,
      );
      expect(first.status, first.text).to.equal(200);
      const firstBody = first.body as Destinations;
      expect(firstBody.destinations).to.have.length(1);
      expect(firstBody.destinations[0]).to.deep.include({
        app: { guid: app.guid, process: { type: 'web' } },
        port: 8080,
        protocol: 'http1',
        weight: null,
      });
      expect(firstBody.links.route.href).to.equal(cf.url(`/v3/routes/${route.guid}`));
      const second = await cf.post(`/v3/routes/${route.guid}/destinations`, {
        destinations: [
          { app: { guid: app.guid } },
          { app: { guid: app.guid, process: { type: 'worker' } } },
          { app: { guid: secondApp.guid }, port: 9000 },
        ],
      });
      expect(second.status, second.text).to.equal(200);
      const all = (second.body as Destinations).destinations;
      expect(all.map((destination) => [destination.app.guid, destination.app.process?.type, destination.port])).to.deep.equal([
        [app.guid, 'web', 8080],
        [app.guid, 'worker', 8080],
        [secondApp.guid, 'web', 9000],
      ]);
      expect(all[0]!.guid).to.equal(firstBody.destinations[0]!.guid);
      const cfRoute = await stored(route);
      expect(cfRoute.metadata.annotations).to.include({ 'korifi.cloudfoundry.org/app-guids': `${app.guid}\n${secondApp.guid}` });
      expect(cfRoute.metadata.labels).to.include({ 'korifi.cloudfoundry.org/unmapped': 'false' });
      const appRoutes = await cf.get(`/v3/apps/${secondApp.guid}/routes`);
      expect((appRoutes.body as ListOf<Route>).resources.map((entry) => entry.guid)).to.deep.equal([route.guid]);
    });

    it('refuses apps outside the route space, http2, strangers and readers', async () => {
      const route = await createRoute({ host: host() });
      const insert = (body: unknown, as?: CfUser) => cf.post(`/v3/routes/${route.guid}/destinations`, body, as?.headers);
      expectCfError(
        await insert({ destinations: [{ app: { guid: otherApp.guid } }] }),
        cfError.unprocessable('Route destination app not found in space'),
      );
      expectCfError(
        await insert({ destinations: [{ app: { guid: randomUUID() } }] }),
        cfError.unprocessable('Route destination app not found in space'),
      );
      expectCfError(
        await insert({ destinations: [{ app: { guid: app.guid }, protocol: 'http2' }] }),
        cfError.unprocessable("Destination protocol 'http2' is not supported; only 'http1' is."),
      );
      expectCfError(await insert({ destinations: [{ app: { guid: app.guid } }] }, auditor), cfError.notAuthorized());
      const foreign = await createRoute({ host: host() }, otherSpace.guid);
      expectCfError(
        await cf.post(`/v3/routes/${foreign.guid}/destinations`, { destinations: [{ app: { guid: otherApp.guid } }] }, developer.headers),
        cfError.notFound('Route'),
      );
      const empty = await insert({ destinations: [] });
      expect(empty.status, empty.text).to.equal(422);
      expect((await stored(route)).spec.destinations ?? []).to.deep.equal([]);
    });

    it('keeps every destination of concurrent inserts (each written against the version it read, again on a conflict)', async () => {
      const route = await createRoute({ host: host() });
      const apps = await Promise.all([createApp(space.guid), createApp(space.guid), createApp(space.guid)]);
      const responses = await Promise.all(
        apps.map((each) => cf.post(`/v3/routes/${route.guid}/destinations`, { destinations: [{ app: { guid: each.guid } }] })),
      );
      expect(
        responses.map((response) => response.status),
        responses.map((response) => response.text).join('\n'),
      ).to.deep.equal([200, 200, 200]);
      const all = await cf.get(`/v3/routes/${route.guid}/destinations`);
      const mapped = (all.body as Destinations).destinations.map((destination) => destination.app.guid);
      expect(mapped.sort()).to.deep.equal(apps.map((each) => each.guid).sort());
    });

    it('unmaps one destination; an unknown destination is 422', async () => {
      const route = await createRoute({ host: host() });
      const mapped = await cf.post(`/v3/routes/${route.guid}/destinations`, {
        destinations: [{ app: { guid: app.guid } }, { app: { guid: app.guid, process: { type: 'worker' } } }],
      });
      const [web, worker] = (mapped.body as Destinations).destinations;
      expectCfError(await cf.delete(`/v3/routes/${route.guid}/destinations/${web!.guid}`, auditor.headers), cfError.notAuthorized());
      const response = await cf.delete(`/v3/routes/${route.guid}/destinations/${web!.guid}`, developer.headers);
      expect(response.status, response.text).to.equal(204);
      const left = await cf.get(`/v3/routes/${route.guid}/destinations`);
      expect((left.body as Destinations).destinations.map((destination) => destination.guid)).to.deep.equal([worker!.guid]);
      expectCfError(
        await cf.delete(`/v3/routes/${route.guid}/destinations/${web!.guid}`),
        cfError.unprocessable('Unable to unmap route from destination. Ensure the route has a destination with this guid.'),
      );
      await cf.delete(`/v3/routes/${route.guid}/destinations/${worker!.guid}`);
      const cfRoute = await stored(route);
      expect(cfRoute.metadata.labels).to.include({ 'korifi.cloudfoundry.org/unmapped': 'true' });
      expect(cfRoute.metadata.annotations).to.include({ 'korifi.cloudfoundry.org/app-guids': '' });
    });
  });

  describe('unmapped routes of a space', () => {
    it('deletes the routes without destinations and keeps the others, with its job', async () => {
      const unmappedSpace = await cf.createSpace(org.guid);
      await cf.grant(developer.name, 'space_developer', { space: unmappedSpace.guid });
      const spaceApp = await createApp(unmappedSpace.guid);
      const orphanHost = host();
      const orphan = await createRoute({ host: orphanHost }, unmappedSpace.guid);
      const orphan2 = await createRoute({ host: host(), path: '/x' }, unmappedSpace.guid);
      const mapped = await createRoute({ host: host() }, unmappedSpace.guid);
      await cf.post(`/v3/routes/${mapped.guid}/destinations`, { destinations: [{ app: { guid: spaceApp.guid } }] });
      const elsewhere = await createRoute({ host: host() });

      expectCfError(
        await cf.delete(`/v3/spaces/${unmappedSpace.guid}/routes?unmapped=false`),
        cfError.unprocessable("mass delete not supported for mapped routes. Use 'unmapped=true' parameter to delete all unmapped routes"),
      );
      const notBoolean = await cf.delete(`/v3/spaces/${unmappedSpace.guid}/routes?unmapped=yes`);
      expect(notBoolean.status, notBoolean.text).to.equal(422);
      const missing = await cf.delete(`/v3/spaces/${unmappedSpace.guid}/routes`);
      expect(missing.status, missing.text).to.be.oneOf([400, 422]);
      expectCfError(await cf.delete(`/v3/spaces/${randomUUID()}/routes?unmapped=true`), cfError.notFound('Space'));
      expectCfError(await cf.delete(`/v3/spaces/${unmappedSpace.guid}/routes?unmapped=true`, auditor.headers), cfError.notFound('Space'));

      const response = await cf.delete(`/v3/spaces/${unmappedSpace.guid}/routes?unmapped=true`, developer.headers);
      expect(response.status, response.text).to.equal(202);
      expect(response.headers.get('location')).to.equal(cf.url(`/v3/jobs/space.delete_unmapped_routes~${unmappedSpace.guid}`));
      const { job } = await cf.pollJob(response.headers.get('location') ?? '', developer.headers);
      expect(job.state).to.equal('COMPLETE');
      const left = await cf.get(`/v3/routes?space_guids=${unmappedSpace.guid},${space.guid}&per_page=5000`);
      const guids = (left.body as ListOf<Route>).resources.map((route) => route.guid);
      expect(guids).to.include.members([mapped.guid, elsewhere.guid]);
      expect(guids).to.not.include.members([orphan.guid]);
      expect(guids).to.not.include(orphan2.guid);
      // Their keys are free again.
      await createRoute({ host: orphanHost }, unmappedSpace.guid);
    });
  });

  describe('route controller (where Korifi is absent)', () => {
    const eventually = async <T>(read: () => Promise<T>, holds: (value: T) => boolean): Promise<T> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const value = await read();
        if (holds(value) || Date.now() > deadline) return value;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    it('settles the status as Korifi does: fqdn, uri, Ready, destinations only once their app has a droplet', async () => {
      const name = host();
      const route = await createRoute({ host: name, path: '/status' });
      await cf.post(`/v3/routes/${route.guid}/destinations`, { destinations: [{ app: { guid: app.guid } }] });
      const settled = await eventually(
        () => stored(route),
        (cfRoute) => cfRoute.status?.observedGeneration === cfRoute.metadata.generation && cfRoute.status?.fqdn !== undefined,
      );
      expect(settled.status).to.deep.include({ fqdn: `${name}.${domain.name}`, uri: `${name}.${domain.name}/status`, destinations: [] });
      expect(settled.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).to.equal('True');
    });

    it("fills a destination's port from its app's current droplet once it has one, and presents it", async () => {
      const staged = await createApp(space.guid);
      const route = await createRoute({ host: host() });
      await cf.post(`/v3/routes/${route.guid}/destinations`, {
        destinations: [{ app: { guid: staged.guid } }, { app: { guid: staged.guid, process: { type: 'worker' } }, port: 7000 }],
      });
      const dropletGuid = await giveDroplet(cf, staged);
      // The droplet says its app listens on 9090.
      const build = { kind: 'CFBuild' as const, namespace: space.guid, name: dropletGuid };
      const current = await cf.server.store.privileged().get(build);
      await cf.server.store.privileged().patchStatus(build, { droplet: { ...current.status?.droplet, ports: [9090] } });
      // The app changes (a label), which concerns its routes.
      await cf.patch(`/v3/apps/${staged.guid}`, { metadata: { labels: { touched: 'yes' } } });
      const settled = await eventually(
        () => stored(route),
        (cfRoute) =>
          cfRoute.status?.destinations?.find((destination) => destination.port === undefined || destination.processType === 'web')?.port ===
          9090,
      );
      expect(
        settled.status?.destinations?.map((destination) => [destination.processType, destination.port, destination.protocol]),
      ).to.deep.equal([
        ['web', 9090, 'http1'],
        ['worker', 7000, 'http1'],
      ]);
      const presented = await cf.get(`/v3/routes/${route.guid}/destinations`);
      expect((presented.body as Destinations).destinations.map((destination) => destination.port)).to.deep.equal([9090, 7000]);
    });

    it('takes a deleted app out of every route it was mapped to', async () => {
      const doomed = await createApp(space.guid);
      const first = await createRoute({ host: host() });
      const second = await createRoute({ host: host() });
      for (const route of [first, second])
        await cf.post(`/v3/routes/${route.guid}/destinations`, {
          destinations: [{ app: { guid: doomed.guid } }, { app: { guid: app.guid } }],
        });
      await cf.deleteAndWait(`/v3/apps/${doomed.guid}`, 'app.delete', doomed.guid);
      for (const route of [first, second]) {
        const cfRoute = await eventually(
          () => stored(route),
          (current) => (current.spec.destinations ?? []).every((destination) => destination.appRef.name !== doomed.guid),
        );
        expect((cfRoute.spec.destinations ?? []).map((destination) => destination.appRef.name)).to.deep.equal([app.guid]);
        expect(cfRoute.metadata.annotations).to.include({ 'korifi.cloudfoundry.org/app-guids': app.guid });
      }
    });

    it("deletes a deleted domain's routes", async () => {
      const created = await cf.post('/v3/domains', { name: `${uniqueName('d')}.routes.example.test` });
      expect(created.status, created.text).to.equal(201);
      const ownDomain = created.body as Domain;
      const response = await cf.post('/v3/routes', routeBody({ host: 'gone' }, space.guid, ownDomain.guid));
      expect(response.status, response.text).to.equal(201);
      const route = response.body as Route;
      await cf.deleteAndWait(`/v3/domains/${ownDomain.guid}`, 'domain.delete', ownDomain.guid);
      const read = await eventually(
        () => cf.get(`/v3/routes/${route.guid}`),
        (answer) => answer.status === 404,
      );
      expect(read.status, read.text).to.equal(404);
    });
  });
});
