import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { eventually, uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfClient } from '../tenancy/cf-client.ts';
import { cfError, expectCfError, type ExpectedError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';
import { findStored, timestampPattern, uuidPattern } from '../tenancy/store-lookups.ts';

type App = components['schemas']['App'];

const unknownGuid = '00000000-0000-4000-8000-000000000000';
const appNotFound = cfError.notFound('App');
const invalidSpace = cfError.unprocessable('Invalid space. Ensure that the space exists and you have access to it.');
const alreadyExists = (name: string): ExpectedError => ({
  status: 422,
  code: 10016,
  title: 'CF-UniquenessError',
  detail: `App with the name '${name}' already exists.`,
});
const appRequest = (name: string, spaceGuid: string, extra: Record<string, unknown> = {}) => ({
  name,
  relationships: { space: { data: { guid: spaceGuid } } },
  ...extra,
});

async function createApp(cf: CfClient, spaceGuid: string, name = uniqueName('app'), extra: Record<string, unknown> = {}): Promise<App> {
  const response = await cf.post('/v3/apps', appRequest(name, spaceGuid, extra));
  expect(response.status, response.text).to.equal(201);
  return response.body as App;
}

forEachBackend('apps', (cf) => {
  let org: Organization;
  let space: Space;
  before(async () => {
    org = await cf.createOrg();
    space = await cf.createSpace(org.guid);
  });

  const list = async (query: string) => {
    const response = await cf.get(`/v3/apps${query}`);
    expect(response.status, response.text).to.equal(200);
    return response.body as ListOf<App>;
  };
  const names = (page: ListOf<App>) => page.resources.map((app) => app.name);

  describe('POST /v3/apps', () => {
    it('creates a STOPPED app with the default buildpack lifecycle, stored as Korifi stores it', async () => {
      const name = uniqueName('app');
      const app = await createApp(cf, space.guid, name, {
        environment_variables: { GREETING: 'hello' },
        metadata: { labels: { team: 'a' }, annotations: { note: 'x' } },
      });
      expect(app.guid).to.match(uuidPattern);
      expect(app.created_at).to.match(timestampPattern);
      const self = cf.url(`/v3/apps/${app.guid}`);
      expect(app).to.deep.include({
        name,
        state: 'STOPPED',
        lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs3' } },
        relationships: { space: { data: { guid: space.guid } } },
        metadata: { labels: { team: 'a' }, annotations: { note: 'x' } },
      });
      expect(app.links).to.deep.equal({
        self: { href: self },
        space: { href: cf.url(`/v3/spaces/${space.guid}`) },
        processes: { href: `${self}/processes` },
        packages: { href: `${self}/packages` },
        environment_variables: { href: `${self}/environment_variables` },
        current_droplet: { href: `${self}/droplets/current` },
        droplets: { href: `${self}/droplets` },
        tasks: { href: `${self}/tasks` },
        start: { href: `${self}/actions/start`, method: 'POST' },
        stop: { href: `${self}/actions/stop`, method: 'POST' },
        revisions: { href: `${self}/revisions` },
        deployed_revisions: { href: `${self}/revisions/deployed` },
        features: { href: `${self}/features` },
      });
      const stored = await findStored(cf.server, { kind: 'CFApp', namespace: space.guid, name: app.guid });
      expect(stored?.spec).to.deep.equal({
        displayName: name,
        desiredState: 'STOPPED',
        lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs3' } },
        envSecretName: `${app.guid}-env`,
      });
      expect(stored?.metadata.labels).to.deep.include({
        'korifi.cloudfoundry.org/guid': app.guid,
        'korifi.cloudfoundry.org/space-guid': space.guid,
        team: 'a',
      });
      expect(stored?.metadata.annotations).to.deep.include({ 'korifi.cloudfoundry.org/app-rev': '0' });
      const secret = await findStored(cf.server, { kind: 'Secret', namespace: space.guid, name: `${app.guid}-env` });
      expect(secret?.data).to.deep.equal({ GREETING: Buffer.from('hello').toString('base64') });
      expect(secret?.metadata.labels).to.deep.include({ 'korifi.cloudfoundry.org/app-guid': app.guid });
      expect(secret?.metadata.ownerReferences?.map((owner) => [owner.kind, owner.name, owner.uid])).to.deep.equal([
        ['CFApp', app.guid, stored?.metadata.uid],
      ]);
    });

    it('accepts the lifecycles Korifi accepts: buildpacks null, docker with an empty stack or no data', async () => {
      const detected = await createApp(cf, space.guid, uniqueName('bp'), {
        lifecycle: { type: 'buildpack', data: { buildpacks: null, stack: 'cflinuxfs4' } },
      });
      expect(detected.lifecycle).to.deep.equal({ type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs4' } });
      const named = await createApp(cf, space.guid, uniqueName('bp'), {
        lifecycle: { type: 'buildpack', data: { buildpacks: ['go_buildpack'], stack: 'cflinuxfs4' } },
      });
      expect(named.lifecycle).to.deep.equal({ type: 'buildpack', data: { buildpacks: ['go_buildpack'], stack: 'cflinuxfs4' } });
      for (const lifecycle of [{ type: 'docker', data: { stack: '' } }, { type: 'docker', data: {} }, { type: 'docker' }]) {
        const docker = await createApp(cf, space.guid, uniqueName('docker'), { lifecycle });
        expect(docker.lifecycle, JSON.stringify(lifecycle)).to.deep.equal({ type: 'docker', data: {} });
      }
    });

    it('refuses a docker lifecycle with data, a buildpack lifecycle without a stack, and a bad name', async () => {
      for (const lifecycle of [{ type: 'docker', data: { stack: 'cflinuxfs4' } }, { type: 'buildpack', data: {} }, { type: 'other' }]) {
        const response = await cf.post('/v3/apps', appRequest(uniqueName('bad'), space.guid, { lifecycle }));
        expect(response.status, `${JSON.stringify(lifecycle)}: ${response.text}`).to.equal(422);
      }
      const response = await cf.post('/v3/apps', appRequest('has space', space.guid));
      expectCfError(response, cfError.unprocessable('name must consist only of letters, numbers, underscores and dashes'));
    });

    it('refuses a space that does not exist or that the caller cannot see', async () => {
      expectCfError(await cf.post('/v3/apps', appRequest(uniqueName('app'), unknownGuid)), invalidSpace);
      const outsider = await cf.newUser('outsider');
      expectCfError(await cf.post('/v3/apps', appRequest(uniqueName('app'), space.guid), outsider.headers), invalidSpace);
    });

    it('refuses a name taken in the space (in any letter case) but allows it in another space', async () => {
      const name = uniqueName('dup');
      await createApp(cf, space.guid, name);
      expectCfError(await cf.post('/v3/apps', appRequest(name, space.guid)), alreadyExists(name));
      expectCfError(await cf.post('/v3/apps', appRequest(name.toUpperCase(), space.guid)), alreadyExists(name.toUpperCase()));
      const other = await cf.createSpace(org.guid);
      expect((await createApp(cf, other.guid, name)).name).to.equal(name);
    });

    it('lets exactly one of concurrent creates with the same name win, leaving one app and one Secret', async () => {
      const name = uniqueName('race');
      const responses = await Promise.all([1, 2, 3].map(() => cf.post('/v3/apps', appRequest(name, space.guid))));
      expect(responses.map((response) => response.status).sort()).to.deep.equal([201, 422, 422]);
      for (const response of responses.filter((candidate) => candidate.status === 422)) expectCfError(response, alreadyExists(name));
      expect(names(await list(`?names=${name}`))).to.deep.equal([name]);
      const secrets = (await cf.server.store.privileged().list('Secret', { namespace: space.guid })).items;
      const winner = responses.find((response) => response.status === 201)?.body as App;
      const ofThisName = secrets.filter((secret) => secret.metadata.ownerReferences?.some((owner) => owner.name === winner.guid));
      expect(ofThisName).to.have.length(1);
    });

    it('creates nothing when the environment Secret is refused, and frees the name', async () => {
      const name = uniqueName('bad-env');
      const response = await cf.post('/v3/apps', appRequest(name, space.guid, { environment_variables: { 'not valid!': 'x' } }));
      expect(response.status, response.text).to.equal(422);
      await eventually(async () => expect(names(await list(`?names=${name}`))).to.deep.equal([]));
      const leftovers = (await cf.server.store.privileged().list('CFApp', { namespace: space.guid })).items;
      expect(leftovers.filter((app) => app.spec.displayName === name && app.metadata.deletionTimestamp === undefined)).to.deep.equal([]);
      expect((await createApp(cf, space.guid, name)).name).to.equal(name);
    });
  });

  describe('GET /v3/apps/{guid} and GET /v3/apps', () => {
    let first: App;
    let second: App;
    let elsewhere: App;
    let otherOrg: Organization;
    before(async () => {
      first = await createApp(cf, space.guid, uniqueName('list-b'), { metadata: { labels: { tier: 'web' } } });
      second = await createApp(cf, space.guid, uniqueName('list-a'));
      otherOrg = await cf.createOrg();
      elsewhere = await createApp(cf, (await cf.createSpace(otherOrg.guid)).guid, uniqueName('list-c'));
    });

    it('gets an app; an unknown GUID is 404', async () => {
      const response = await cf.get(`/v3/apps/${first.guid}`);
      expect(response.status, response.text).to.equal(200);
      // The app controller writes the app's status after create, which moves updated_at on kubernetes.
      const { updated_at: updatedAt, ...rest } = response.body as App;
      const { updated_at: createdUpdatedAt, ...created } = first;
      expect(rest).to.deep.equal(created);
      expect(updatedAt >= createdUpdatedAt, `${updatedAt} before ${createdUpdatedAt}`).to.equal(true);
      expectCfError(await cf.get(`/v3/apps/${unknownGuid}`), appNotFound);
    });

    it('filters by names, guids, space_guids, organization_guids and label_selector, and orders', async () => {
      expect(names(await list(`?names=${first.name},${elsewhere.name}`)).sort()).to.deep.equal([first.name, elsewhere.name].sort());
      expect(names(await list(`?guids=${second.guid}`))).to.deep.equal([second.name]);
      const inSpace = names(await list(`?space_guids=${space.guid}&order_by=name`));
      expect(inSpace).to.include.members([first.name, second.name]).and.not.include(elsewhere.name);
      expect(inSpace.indexOf(second.name)).to.be.lessThan(inSpace.indexOf(first.name));
      const descending = names(await list(`?space_guids=${space.guid}&order_by=-name`));
      expect(descending.indexOf(first.name)).to.be.lessThan(descending.indexOf(second.name));
      expect(names(await list(`?organization_guids=${otherOrg.guid}`))).to.deep.equal([elsewhere.name]);
      expect(names(await list(`?label_selector=tier=web&space_guids=${space.guid}`))).to.deep.equal([first.name]);
      const page = await list(`?space_guids=${space.guid}&per_page=1&order_by=name`);
      expect(page.resources).to.have.length(1);
      expect(page.pagination.total_results).to.be.greaterThan(1);
    });

    it('shows a space developer the apps of their space only, an org manager none, an outsider none', async () => {
      const developer = await cf.newUser('developer');
      await cf.grant(developer.name, 'organization_user', { organization: org.guid });
      await cf.grant(developer.name, 'space_developer', { space: space.guid });
      const seen = await cf.get('/v3/apps?per_page=5000', developer.headers);
      const seenNames = (seen.body as ListOf<App>).resources.map((app) => app.name);
      expect(seenNames).to.include.members([first.name, second.name]).and.not.include(elsewhere.name);
      expect((await cf.get(`/v3/apps/${elsewhere.guid}`, developer.headers)).status).to.equal(404);

      const manager = await cf.newUser('manager');
      await cf.grant(manager.name, 'organization_manager', { organization: org.guid });
      await eventually(async () => expect((await cf.get(`/v3/spaces/${space.guid}`, manager.headers)).status).to.equal(200));
      expect(((await cf.get('/v3/apps', manager.headers)).body as ListOf<App>).resources).to.deep.equal([]);
      expectCfError(await cf.get(`/v3/apps/${first.guid}`, manager.headers), appNotFound);

      const outsider = await cf.newUser('outsider');
      expect(((await cf.get('/v3/apps', outsider.headers)).body as ListOf<App>).resources).to.deep.equal([]);
      expectCfError(await cf.get(`/v3/apps/${first.guid}`, outsider.headers), appNotFound);
    });
  });

  describe('PATCH /v3/apps/{guid}', () => {
    it('renames, changes buildpacks and stack, and relabels', async () => {
      const app = await createApp(cf, space.guid, uniqueName('old'), { metadata: { labels: { keep: 'yes', drop: 'me' } } });
      const newName = uniqueName('new');
      const response = await cf.patch(`/v3/apps/${app.guid}`, {
        name: newName,
        lifecycle: { type: 'buildpack', data: { buildpacks: ['java_buildpack'], stack: 'cflinuxfs4' } },
        metadata: { labels: { drop: null, added: 'x' } },
      });
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.include({
        name: newName,
        lifecycle: { type: 'buildpack', data: { buildpacks: ['java_buildpack'], stack: 'cflinuxfs4' } },
        metadata: { labels: { keep: 'yes', added: 'x' }, annotations: {} },
      });
      // The old name is free again.
      expect((await createApp(cf, space.guid, app.name)).name).to.equal(app.name);
    });

    it('keeps the name claimed through a change of letter case, and refuses a taken name', async () => {
      const app = await createApp(cf, space.guid, uniqueName('case'));
      const taken = await createApp(cf, space.guid, uniqueName('taken'));
      expectCfError(await cf.patch(`/v3/apps/${app.guid}`, { name: taken.name.toUpperCase() }), alreadyExists(taken.name.toUpperCase()));
      const upper = app.name.toUpperCase();
      expect((await cf.patch(`/v3/apps/${app.guid}`, { name: upper })).status).to.equal(200);
      expectCfError(await cf.post('/v3/apps', appRequest(app.name, space.guid)), alreadyExists(app.name));
    });

    it('refuses a change of lifecycle type and an unknown app', async () => {
      const app = await createApp(cf, space.guid);
      expectCfError(
        await cf.patch(`/v3/apps/${app.guid}`, { lifecycle: { type: 'docker', data: {} } }),
        cfError.unprocessable('Lifecycle type cannot be changed from buildpack to docker'),
      );
      expectCfError(await cf.patch(`/v3/apps/${unknownGuid}`, { name: 'x' }), appNotFound);
    });

    it('lets a space auditor read but not change an app (403), an outsider neither (404)', async () => {
      const app = await createApp(cf, space.guid);
      const auditor = await cf.newUser('auditor');
      await cf.grant(auditor.name, 'organization_user', { organization: org.guid });
      await cf.grant(auditor.name, 'space_auditor', { space: space.guid });
      expect((await cf.get(`/v3/apps/${app.guid}`, auditor.headers)).status).to.equal(200);
      expectCfError(await cf.patch(`/v3/apps/${app.guid}`, { name: uniqueName('x') }, auditor.headers), cfError.notAuthorized());
      expectCfError(await cf.delete(`/v3/apps/${app.guid}`, auditor.headers), cfError.notAuthorized());
      expectCfError(await cf.post('/v3/apps', appRequest(uniqueName('x'), space.guid), auditor.headers), cfError.notAuthorized());
      const outsider = await cf.newUser('outsider');
      expectCfError(await cf.patch(`/v3/apps/${app.guid}`, { name: uniqueName('x') }, outsider.headers), appNotFound);
    });
  });

  describe('DELETE /v3/apps/{guid}', () => {
    it('deletes the app and its Secret, with a job that completes, and frees the name', async () => {
      const app = await createApp(cf, space.guid, uniqueName('doomed'), { environment_variables: { A: 'b' } });
      const { job } = await cf.deleteAndWait(`/v3/apps/${app.guid}`, 'app.delete', app.guid);
      expect(job).to.deep.include({ guid: `app.delete~${app.guid}`, operation: 'app.delete', state: 'COMPLETE' });
      expectCfError(await cf.get(`/v3/apps/${app.guid}`), appNotFound);
      await eventually(async () => {
        expect(await findStored(cf.server, { kind: 'Secret', namespace: space.guid, name: `${app.guid}-env` })).to.equal(undefined);
      }, 60_000);
      expect((await createApp(cf, space.guid, app.name)).name).to.equal(app.name);
    });

    it('lets a space developer create, rename and delete apps', async () => {
      const developer = await cf.newUser('developer');
      await cf.grant(developer.name, 'organization_user', { organization: org.guid });
      await cf.grant(developer.name, 'space_developer', { space: space.guid });
      const created = await cf.post('/v3/apps', appRequest(uniqueName('dev'), space.guid), developer.headers);
      expect(created.status, created.text).to.equal(201);
      const app = created.body as App;
      expect((await cf.patch(`/v3/apps/${app.guid}`, { name: uniqueName('dev2') }, developer.headers)).status).to.equal(200);
      const deleted = await cf.delete(`/v3/apps/${app.guid}`, developer.headers);
      expect(deleted.status, deleted.text).to.equal(202);
      const { job } = await cf.pollJob(deleted.headers.get('location') ?? '', developer.headers);
      expect(job.state).to.equal('COMPLETE');
    });

    it('answers 404 for an unknown app', async () => {
      expectCfError(await cf.delete(`/v3/apps/${unknownGuid}`), appNotFound);
    });
  });
});
