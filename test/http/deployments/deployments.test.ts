import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { eventually } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfClient, CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';
import { createApp as createAppWith } from '../lifecycle-fixtures.ts';

type App = components['schemas']['App'];
type Build = components['schemas']['Build'];
type Deployment = components['schemas']['Deployment'];

/** A docker app: its droplets can be staged from an image, with no bits to upload. */
const createApp = (cf: CfClient, spaceGuid: string): Promise<App> =>
  createAppWith(cf, spaceGuid, { lifecycle: { type: 'docker', data: {} } });

/** A droplet staged through the API, as `cf push -o IMAGE` makes one: a docker package, a build, STAGED. */
async function stageDroplet(cf: CfClient, app: App): Promise<string> {
  const created = await cf.post('/v3/packages', {
    type: 'docker',
    data: { image: 'registry.example/app:1' },
    relationships: { app: { data: { guid: app.guid } } },
  });
  expect(created.status, created.text).to.equal(201);
  const build = await cf.post('/v3/builds', { package: { guid: (created.body as { guid: string }).guid } });
  expect(build.status, build.text).to.equal(201);
  const staged = await eventually(async () => {
    const response = await cf.get(`/v3/builds/${(build.body as Build).guid}`);
    expect((response.body as Build).state, response.text).to.equal('STAGED');
    return response.body as Build;
  });
  return staged.droplet!.guid;
}

forEachBackend(
  'deployments',
  (cf) => {
    let org: Organization;
    let space: Space;
    let auditor: CfUser;
    before(async () => {
      org = await cf.createOrg();
      space = await cf.createSpace(org.guid);
      auditor = await cf.newUser('auditor');
      await cf.grant(auditor.name, 'organization_user', { organization: org.guid });
      await cf.grant(auditor.name, 'space_auditor', { space: space.guid });
    });

    const deploy = (appGuid: string, droplet?: string) =>
      cf.post('/v3/deployments', {
        ...(droplet ? { droplet: { guid: droplet } } : {}),
        relationships: { app: { data: { guid: appGuid } } },
      });

    it('rolls a droplet out: the app runs it STARTED on a new revision, ACTIVE until the app is ready, then FINALIZED', async () => {
      const app = await createApp(cf, space.guid);
      const droplet = await stageDroplet(cf, app);
      const response = await deploy(app.guid, droplet);
      expect(response.status, response.text).to.equal(201);
      const deployment = response.body as Deployment;
      expect(deployment).to.deep.include({
        guid: app.guid,
        strategy: 'rolling',
        droplet: { guid: droplet },
        relationships: { app: { data: { guid: app.guid } } },
        links: { self: { href: cf.url(`/v3/deployments/${app.guid}`) }, app: { href: cf.url(`/v3/apps/${app.guid}`) } },
      });
      expect(deployment.status.value).to.equal('ACTIVE');
      const finalized = await eventually(async () => {
        const current = await cf.get(`/v3/deployments/${app.guid}`);
        expect((current.body as Deployment).status, current.text).to.deep.include({ value: 'FINALIZED', reason: 'DEPLOYED' });
        return current.body as Deployment;
      }, 30_000);
      expect(finalized.state).to.equal('DEPLOYED');
      expect(finalized.new_processes.map((process) => process.type)).to.deep.equal(['web']);
      const appNow = await cf.get(`/v3/apps/${app.guid}`);
      expect((appNow.body as App).state).to.equal('STARTED');
      const stored = await cf.server.store.privileged().get({ kind: 'CFApp', namespace: space.guid, name: app.guid });
      expect(stored.spec.currentDropletRef?.name).to.equal(droplet);
      expect(stored.metadata.annotations?.['korifi.cloudfoundry.org/app-rev']).to.equal('1');
    });

    it("deploys the app's current droplet when none is named, and lists deployments by app and status", async () => {
      const app = await createApp(cf, space.guid);
      const droplet = await stageDroplet(cf, app);
      const relationship = await cf.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: droplet } });
      expect(relationship.status, relationship.text).to.equal(200);
      const response = await deploy(app.guid);
      expect(response.status, response.text).to.equal(201);
      expect((response.body as Deployment).droplet.guid).to.equal(droplet);
      await eventually(async () => {
        const page = await cf.get(`/v3/deployments?app_guids=${app.guid}&status_values=FINALIZED`);
        expect(
          (page.body as ListOf<Deployment>).resources.map((entry) => entry.guid),
          page.text,
        ).to.deep.equal([app.guid]);
      }, 30_000);
      const active = await cf.get(`/v3/deployments?app_guids=${app.guid}&order_by=-created_at&page=1&per_page=1&status_values=ACTIVE`);
      expect(active.status, active.text).to.equal(200);
      expect((active.body as ListOf<Deployment>).resources).to.deep.equal([]);
    });

    it('has no deployment for an app without a droplet, and refuses to deploy one', async () => {
      const app = await createApp(cf, space.guid);
      expectCfError(await cf.get(`/v3/deployments/${app.guid}`), cfError.notFound('Deployment'));
      const page = await cf.get(`/v3/deployments?app_guids=${app.guid}`);
      expect((page.body as ListOf<Deployment>).resources).to.deep.equal([]);
      expectCfError(
        await deploy(app.guid),
        cfError.unprocessable('Invalid droplet. Please specify a droplet in the request or set a current droplet for the app.'),
      );
    });

    it('refuses a droplet of another app, an unknown app, a strategy it does not have, and a caller who may not write', async () => {
      const app = await createApp(cf, space.guid);
      const other = await createApp(cf, space.guid);
      const othersDroplet = await stageDroplet(cf, other);
      expectCfError(
        await deploy(app.guid, othersDroplet),
        cfError.unprocessable('Unable to use droplet. Ensure the droplet exists and belongs to this app.'),
      );
      expectCfError(
        await deploy(app.guid, '00000000-0000-4000-8000-000000000000'),
        cfError.unprocessable('Unable to use droplet. Ensure the droplet exists and belongs to this app.'),
      );
      expectCfError(
        await deploy('00000000-0000-4000-8000-000000000000', othersDroplet),
        cfError.unprocessable('Unable to use app. Ensure that the app exists and you have access to it.'),
      );
      const canary = await cf.post('/v3/deployments', { strategy: 'canary', relationships: { app: { data: { guid: app.guid } } } });
      expect(canary.status, canary.text).to.equal(422);
      expectCfError(
        await cf.post(
          '/v3/deployments',
          { droplet: { guid: othersDroplet }, relationships: { app: { data: { guid: other.guid } } } },
          auditor.headers,
        ),
        cfError.notAuthorized(),
      );
      const relationship = await cf.patch(`/v3/apps/${other.guid}/relationships/current_droplet`, { data: { guid: othersDroplet } });
      expect(relationship.status, relationship.text).to.equal(200);
      const seen = await cf.get(`/v3/deployments/${other.guid}`, auditor.headers);
      expect(seen.status, seen.text).to.equal(200);
    });
  },
  { config: { appRuntime: 'scripted' } },
);
