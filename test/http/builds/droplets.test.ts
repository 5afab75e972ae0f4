import { expect } from 'chai';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError, type ExpectedError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';
import { findStored } from '../tenancy/store-lookups.ts';
import { createApp, createBuild, finished, setEnvironment, stagedDroplet, storePackage, type App, type Droplet } from './support.ts';

const unknownGuid = '00000000-0000-4000-8000-000000000000';
const dropletNotFound: ExpectedError = { status: 404, code: 10010, title: 'CF-ResourceNotFound', detail: 'Droplet not found' };
const unassignable = cfError.unprocessable('Unable to assign current droplet. Ensure the droplet exists and belongs to this app.');

forEachBackend(
  'droplets and current droplets',
  (cf) => {
    let org: Organization;
    let space: Space;
    let otherSpace: Space;
    let app: App;
    let packageGuid: string;
    let droplet: Droplet;
    let failedGuid: string;
    let otherDroplet: Droplet;
    let developer: CfUser;
    let manager: CfUser;
    let outsider: CfUser;
    before(async () => {
      org = await cf.createOrg();
      space = await cf.createSpace(org.guid);
      otherSpace = await cf.createSpace(org.guid);
      ({ app, packageGuid, droplet } = await stagedDroplet(cf, space.guid, { environment: { SCRIPTED_PROCESS_TYPES: 'web=./run' } }));
      const failing = await createApp(cf, space.guid);
      await setEnvironment(cf, failing.guid, { SCRIPTED_STAGING: 'fail' });
      failedGuid = (await finished(cf, (await createBuild(cf, await storePackage(cf, failing))).guid)).guid;
      ({ droplet: otherDroplet } = await stagedDroplet(cf, otherSpace.guid));
      developer = await cf.newUser('dev');
      manager = await cf.newUser('manager');
      outsider = await cf.newUser('outsider');
      for (const [user, role] of [
        [developer, 'space_developer'],
        [manager, 'space_manager'],
      ] as const) {
        await cf.grant(user.name, 'organization_user', { organization: org.guid });
        await cf.grant(user.name, role, { space: space.guid });
      }
    });

    const guids = async (path: string, as = cf.admin) => {
      const response = await cf.get(path, as);
      expect(response.status, response.text).to.equal(200);
      return (response.body as ListOf<Droplet>).resources.map((resource) => resource.guid);
    };

    describe('GET /v3/droplets', () => {
      it('lists staged builds only, filtered by GUID, app, space, organization and state', async () => {
        const all = await guids('/v3/droplets');
        expect(all).to.include.members([droplet.guid, otherDroplet.guid]);
        expect(all).to.not.include(failedGuid);
        expect(await guids(`/v3/droplets?app_guids=${app.guid}`)).to.deep.equal([droplet.guid]);
        expect(await guids(`/v3/droplets?space_guids=${otherSpace.guid}`)).to.deep.equal([otherDroplet.guid]);
        expect(await guids(`/v3/droplets?organization_guids=${org.guid}&order_by=-updated_at`)).to.have.members([
          droplet.guid,
          otherDroplet.guid,
        ]);
        expect(await guids(`/v3/droplets?guids=${otherDroplet.guid},${failedGuid}`)).to.deep.equal([otherDroplet.guid]);
        expect(await guids(`/v3/droplets?states=STAGED&app_guids=${app.guid}`)).to.deep.equal([droplet.guid]);
        expect(await guids(`/v3/droplets?states=FAILED,EXPIRED`)).to.deep.equal([]);
        expect(await guids(`/v3/droplets?space_guids=${space.guid}`, manager.headers)).to.deep.equal([droplet.guid]);
        expect(await guids('/v3/droplets', outsider.headers)).to.deep.equal([]);
      });

      it('lists an app’s and a package’s droplets (the cf CLI’s "needs staging" check); unseen ones are 404', async () => {
        expect(await guids(`/v3/apps/${app.guid}/droplets`)).to.deep.equal([droplet.guid]);
        expect(await guids(`/v3/apps/${app.guid}/droplets?states=FAILED`)).to.deep.equal([]);
        expect(await guids(`/v3/packages/${packageGuid}/droplets?page=1&per_page=1&states=STAGED`)).to.deep.equal([droplet.guid]);
        const unstaged = await storePackage(cf, app);
        expect(await guids(`/v3/packages/${unstaged}/droplets?states=STAGED`)).to.deep.equal([]);
        expectCfError(await cf.get(`/v3/apps/${unknownGuid}/droplets`), cfError.notFound('App'));
        expectCfError(await cf.get(`/v3/apps/${app.guid}/droplets`, outsider.headers), cfError.notFound('App'));
        expectCfError(await cf.get(`/v3/packages/${unknownGuid}/droplets`), cfError.notFound('Package'));
        expectCfError(await cf.get(`/v3/packages/${packageGuid}/droplets`, outsider.headers), cfError.notFound('Package'));
      });
    });

    describe('GET and PATCH /v3/droplets/{guid}', () => {
      it('gets a droplet; a build that failed, an unknown GUID or an unseen droplet is 404', async () => {
        const response = await cf.get(`/v3/droplets/${droplet.guid}`, manager.headers);
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.deep.include({ guid: droplet.guid, process_types: { web: './run' } });
        expectCfError(await cf.get(`/v3/droplets/${failedGuid}`), cfError.notFound('Droplet'));
        expectCfError(await cf.get(`/v3/droplets/${unknownGuid}`), cfError.notFound('Droplet'));
        expectCfError(await cf.get(`/v3/droplets/${droplet.guid}`, outsider.headers), cfError.notFound('Droplet'));
      });

      it('changes labels and annotations as the caller; a failed build cannot be changed as a droplet', async () => {
        const response = await cf.patch(`/v3/droplets/${droplet.guid}`, {
          metadata: { labels: { release: 'v1' }, annotations: { by: 'ci' } },
        });
        expect(response.status, response.text).to.equal(200);
        expect((response.body as Droplet).metadata).to.deep.equal({ labels: { release: 'v1' }, annotations: { by: 'ci' } });
        expect(await guids('/v3/droplets?label_selector=release=v1')).to.deep.equal([droplet.guid]);
        const cleared = await cf.patch(`/v3/droplets/${droplet.guid}`, { metadata: { labels: { release: null } } });
        expect((cleared.body as Droplet).metadata.labels).to.deep.equal({});
        expectCfError(
          await cf.patch(`/v3/droplets/${droplet.guid}`, { metadata: { labels: { a: 'b' } } }, manager.headers),
          cfError.notAuthorized(),
        );
        expectCfError(await cf.patch(`/v3/droplets/${failedGuid}`, { metadata: { labels: { a: 'b' } } }), cfError.notFound('Droplet'));
      });
    });

    describe('current droplet', () => {
      it('is "Droplet not found" (the cf CLI’s exact text) until one is set', async () => {
        const fresh = await createApp(cf, space.guid);
        expectCfError(await cf.get(`/v3/apps/${fresh.guid}/droplets/current`), dropletNotFound);
        expectCfError(await cf.get(`/v3/apps/${fresh.guid}/relationships/current_droplet`), dropletNotFound);
        expectCfError(await cf.get(`/v3/apps/${unknownGuid}/droplets/current`), cfError.notFound('App'));
        expectCfError(await cf.get(`/v3/apps/${fresh.guid}/droplets/current`, outsider.headers), cfError.notFound('App'));
      });

      it('sets a staged droplet of the app as the caller, and reads it back', async () => {
        const response = await cf.patch(
          `/v3/apps/${app.guid}/relationships/current_droplet`,
          { data: { guid: droplet.guid } },
          developer.headers,
        );
        expect(response.status, response.text).to.equal(200);
        const relationship = {
          data: { guid: droplet.guid },
          links: {
            self: { href: cf.url(`/v3/apps/${app.guid}/relationships/current_droplet`) },
            related: { href: cf.url(`/v3/apps/${app.guid}/droplets/current`) },
          },
        };
        expect(response.body).to.deep.equal(relationship);
        const stored = await findStored(cf.server, { kind: 'CFApp', namespace: space.guid, name: app.guid });
        expect(stored?.spec.currentDropletRef).to.deep.equal({ name: droplet.guid });
        const current = await cf.get(`/v3/apps/${app.guid}/droplets/current`, manager.headers);
        expect(current.status, current.text).to.equal(200);
        expect(current.body).to.deep.include({ guid: droplet.guid, state: 'STAGED', process_types: { web: './run' } });
        const read = await cf.get(`/v3/apps/${app.guid}/relationships/current_droplet`);
        expect(read.status, read.text).to.equal(200);
        expect(read.body).to.deep.equal(relationship);
      });

      it("refuses a droplet that failed, is unknown or is another app's with 422; a reader who may not change the app gets 403", async () => {
        const path = `/v3/apps/${app.guid}/relationships/current_droplet`;
        for (const guid of [failedGuid, unknownGuid, otherDroplet.guid]) {
          expectCfError(await cf.patch(path, { data: { guid } }), unassignable);
        }
        const sibling = await stagedDroplet(cf, space.guid);
        expectCfError(await cf.patch(path, { data: { guid: sibling.droplet.guid } }), unassignable);
        expectCfError(await cf.patch(path, { data: { guid: droplet.guid } }, manager.headers), cfError.notAuthorized());
        expectCfError(await cf.patch(path, { data: { guid: droplet.guid } }, outsider.headers), cfError.notFound('App'));
        expectCfError(
          await cf.patch(`/v3/apps/${unknownGuid}/relationships/current_droplet`, { data: { guid: droplet.guid } }),
          cfError.notFound('App'),
        );
        const badBody = await cf.patch(path, { data: {} });
        expect(badBody.status, badBody.text).to.equal(422);
      });

      it('is "Droplet not found" again once the current droplet is gone', async () => {
        const { app: owner, droplet: gone } = await stagedDroplet(cf, space.guid);
        const set = await cf.patch(`/v3/apps/${owner.guid}/relationships/current_droplet`, { data: { guid: gone.guid } });
        expect(set.status, set.text).to.equal(200);
        await cf.server.store.privileged().delete({ kind: 'CFBuild', namespace: space.guid, name: gone.guid });
        expectCfError(await cf.get(`/v3/apps/${owner.guid}/droplets/current`), dropletNotFound);
      });
    });
  },
  { config: { appRuntime: 'scripted' } },
);
