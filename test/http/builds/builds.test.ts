import { expect } from 'chai';
import { eventually } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';
import { findStored, timestampPattern, uuidPattern } from '../tenancy/store-lookups.ts';
import { createApp, createBuild, finished, setEnvironment, storePackage, type App, type Build } from './support.ts';

const unknownGuid = '00000000-0000-4000-8000-000000000000';
const unusablePackage = cfError.unprocessable('Unable to use package. Ensure that the package exists and you have access to it.');

forEachBackend(
  'builds',
  (cf) => {
    let org: Organization;
    let space: Space;
    let app: App;
    let developer: CfUser;
    let manager: CfUser;
    let auditor: CfUser;
    let outsider: CfUser;
    before(async () => {
      org = await cf.createOrg();
      space = await cf.createSpace(org.guid);
      app = await createApp(cf, space.guid);
      // One at a time: the embedded user store does not take concurrent additions.
      developer = await cf.newUser('dev');
      manager = await cf.newUser('manager');
      auditor = await cf.newUser('auditor');
      outsider = await cf.newUser('outsider');
      for (const [user, role] of [
        [developer, 'space_developer'],
        [manager, 'space_manager'],
        [auditor, 'space_auditor'],
      ] as const) {
        await cf.grant(user.name, 'organization_user', { organization: org.guid });
        await cf.grant(user.name, role, { space: space.guid });
      }
    });

    const list = async (query: string, as = cf.admin) => {
      const response = await cf.get(`/v3/builds${query}`, as);
      expect(response.status, response.text).to.equal(200);
      return response.body as ListOf<Build>;
    };

    describe('POST /v3/builds', () => {
      it('creates a CFBuild in STAGING at once, stored as Korifi stores it, that stages into a droplet', async () => {
        await setEnvironment(cf, app.guid, { SCRIPTED_PROCESS_TYPES: 'web=node server.js;worker=node worker.js' });
        const packageGuid = await storePackage(cf, app);
        const build = await createBuild(cf, packageGuid, { staging_memory_in_mb: 4096, staging_disk_in_mb: 512 });
        expect(build.guid).to.match(uuidPattern);
        expect(build.created_at).to.match(timestampPattern);
        expect(build).to.deep.include({
          state: 'STAGING',
          staging_memory_in_mb: 1024,
          staging_disk_in_mb: 0,
          error: null,
          lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs3' } },
          package: { guid: packageGuid },
          droplet: null,
          relationships: { app: { data: { guid: app.guid } } },
          metadata: { labels: {}, annotations: {} },
        });
        expect(build.links).to.deep.equal({
          self: { href: cf.url(`/v3/builds/${build.guid}`) },
          app: { href: cf.url(`/v3/apps/${app.guid}`) },
        });
        const stored = await findStored(cf.server, { kind: 'CFBuild', namespace: space.guid, name: build.guid });
        const storedApp = await findStored(cf.server, { kind: 'CFApp', namespace: space.guid, name: app.guid });
        expect(stored?.spec).to.deep.equal({
          packageRef: { name: packageGuid },
          appRef: { name: app.guid },
          stagingMemoryMB: 1024,
          stagingDiskMB: 0,
          lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs3' } },
        });
        expect(stored?.metadata.ownerReferences?.map((owner) => [owner.kind, owner.name, owner.uid])).to.deep.equal([
          ['CFApp', app.guid, storedApp?.metadata.uid],
        ]);
        expect(stored?.metadata.labels).to.deep.include({
          'korifi.cloudfoundry.org/app-guid': app.guid,
          'korifi.cloudfoundry.org/package-guid': packageGuid,
          'korifi.cloudfoundry.org/droplet-guid': build.guid,
          'korifi.cloudfoundry.org/space-guid': space.guid,
        });

        const staged = await finished(cf, build.guid);
        expect(staged).to.deep.include({ state: 'STAGED', error: null, droplet: { guid: build.guid } });
        expect(staged.links.droplet).to.deep.equal({ href: cf.url(`/v3/droplets/${build.guid}`) });
        // The status-derived label follows the status write with a write of its own.
        await eventually(async () => {
          const storedStaged = await findStored(cf.server, { kind: 'CFBuild', namespace: space.guid, name: build.guid });
          expect(storedStaged?.metadata.labels).to.deep.include({ 'korifi.cloudfoundry.org/build-state': 'STAGED' });
        });
        const droplet = await cf.get(`/v3/droplets/${build.guid}`);
        expect(droplet.status, droplet.text).to.equal(200);
        expect(droplet.body).to.deep.include({
          guid: build.guid,
          state: 'STAGED',
          error: null,
          process_types: { web: 'node server.js', worker: 'node worker.js' },
          execution_metadata: '',
          checksum: null,
          buildpacks: [{ name: 'scripted_buildpack', detect_output: null, buildpack_name: 'scripted_buildpack', version: null }],
          stack: 'cflinuxfs3',
          image: null,
          lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs3' } },
          relationships: { app: { data: { guid: app.guid } } },
          metadata: { labels: {}, annotations: {} },
        });
        expect((droplet.body as { links: unknown }).links).to.deep.equal({
          self: { href: cf.url(`/v3/droplets/${build.guid}`) },
          package: { href: cf.url(`/v3/packages/${packageGuid}`) },
          app: { href: cf.url(`/v3/apps/${app.guid}`) },
          assign_current_droplet: { href: cf.url(`/v3/apps/${app.guid}/relationships/current_droplet`), method: 'PATCH' },
          download: null,
        });
      });

      it("shows a failed staging's message as the build's error; a failed build is no droplet", async () => {
        const failing = await createApp(cf, space.guid);
        await setEnvironment(cf, failing.guid, { SCRIPTED_STAGING: 'fail:NoAppDetectedError: no buildpack detected the app' });
        const build = await finished(cf, (await createBuild(cf, await storePackage(cf, failing))).guid);
        expect(build).to.deep.include({ state: 'FAILED', error: 'NoAppDetectedError: no buildpack detected the app', droplet: null });
        expect(build.links).to.not.have.property('droplet');
        expectCfError(await cf.get(`/v3/droplets/${build.guid}`), cfError.notFound('Droplet'));
      });

      it('stages a docker app with its lifecycle, and takes a lifecycle from the request over the app’s', async () => {
        const docker = await createApp(cf, space.guid, { lifecycle: { type: 'docker', data: {} } });
        const image = 'registry.example.test/team/docker-app:2.1';
        const build = await createBuild(cf, await storePackage(cf, docker, { image }));
        expect(build.lifecycle).to.deep.equal({ type: 'docker', data: {} });
        const staged = await finished(cf, build.guid);
        expect(staged.state).to.equal('STAGED');
        const droplet = await cf.get(`/v3/droplets/${build.guid}`);
        expect(droplet.body).to.deep.include({ image, stack: null, buildpacks: [], process_types: { web: 'scripted-web' } });

        const lifecycle = { type: 'buildpack', data: { buildpacks: ['go_buildpack'], stack: 'cflinuxfs4' } };
        const named = await createBuild(cf, await storePackage(cf, app), { lifecycle });
        expect(named.lifecycle).to.deep.equal(lifecycle);
        const namedDroplet = await cf.get(`/v3/droplets/${(await finished(cf, named.guid)).guid}`);
        expect(namedDroplet.body).to.deep.include({ stack: 'cflinuxfs4' });
        expect((namedDroplet.body as { buildpacks: { name: string }[] }).buildpacks.map((buildpack) => buildpack.name)).to.deep.equal([
          'go_buildpack',
        ]);
      });

      it('refuses a package that does not exist or cannot be seen with 422, before anything else', async () => {
        expectCfError(await cf.post('/v3/builds', { package: { guid: unknownGuid } }), unusablePackage);
        const packageGuid = await storePackage(cf, app);
        expectCfError(await cf.post('/v3/builds', { package: { guid: packageGuid } }, outsider.headers), unusablePackage);
      });

      it('refuses a package without its source as CAPI does (400), and a caller who may not create builds (403)', async () => {
        const awaiting = await storePackage(cf, app, { image: '' });
        expectCfError(await cf.post('/v3/builds', { package: { guid: awaiting } }), {
          status: 400,
          code: 1004,
          title: 'CF-BadRequest',
          detail: 'Bad request: Cannot stage package whose state is not ready.',
        });
        const ready = await storePackage(cf, app);
        expectCfError(await cf.post('/v3/builds', { package: { guid: ready } }, manager.headers), cfError.notAuthorized());
        // Space auditors may read apps but not packages (Korifi's roles), so the package is not theirs to use.
        expectCfError(await cf.post('/v3/builds', { package: { guid: ready } }, auditor.headers), unusablePackage);
        const byDeveloper = await createBuild(cf, ready, {}, developer.headers);
        expect(byDeveloper.package.guid).to.equal(ready);
      });

      it("refuses labels and annotations with Korifi's text, and bodies the document does not allow", async () => {
        const packageGuid = await storePackage(cf, app);
        expectCfError(
          await cf.post('/v3/builds', { package: { guid: packageGuid }, metadata: { labels: { a: 'b' } } }),
          cfError.unprocessable('metadata.labels must be blank'),
        );
        expectCfError(
          await cf.post('/v3/builds', { package: { guid: packageGuid }, metadata: { labels: { a: 'b' }, annotations: { c: 'd' } } }),
          cfError.unprocessable('metadata.annotations must be blank, metadata.labels must be blank'),
        );
        const empty = await createBuild(cf, packageGuid, { metadata: { labels: {}, annotations: {} }, lifecycle: null });
        expect(empty.lifecycle.type).to.equal('buildpack');
        for (const body of [{}, { package: {} }, { package: { guid: packageGuid }, lifecycle: { type: 'other' } }]) {
          const response = await cf.post('/v3/builds', body);
          expect(response.status, `${JSON.stringify(body)}: ${response.text}`).to.equal(422);
        }
      });
    });

    describe('GET /v3/builds and /v3/builds/{guid}', () => {
      let other: App;
      let staged: Build;
      let failed: Build;
      before(async () => {
        other = await createApp(cf, space.guid);
        await setEnvironment(cf, other.guid, { SCRIPTED_STAGING: 'fail' });
        staged = await finished(cf, (await createBuild(cf, await storePackage(cf, app))).guid);
        failed = await finished(cf, (await createBuild(cf, await storePackage(cf, other))).guid);
      });

      it('lists the builds of visible spaces, filtered by app, package, state and GUID', async () => {
        const guids = (page: ListOf<Build>) => page.resources.map((build) => build.guid);
        expect(guids(await list(`?app_guids=${other.guid}`))).to.deep.equal([failed.guid]);
        expect(guids(await list(`?package_guids=${staged.package.guid}`))).to.deep.equal([staged.guid]);
        expect(guids(await list(`?states=FAILED&app_guids=${app.guid},${other.guid}`))).to.deep.equal([failed.guid]);
        expect(guids(await list(`?guids=${staged.guid},${failed.guid}&order_by=-created_at`))).to.have.members([staged.guid, failed.guid]);
        expect(guids(await list(`?app_guids=${other.guid}`, manager.headers))).to.deep.equal([failed.guid]);
        expect((await list('', auditor.headers)).resources).to.deep.equal([]);
        expect((await list('', outsider.headers)).resources).to.deep.equal([]);
        const page = await list(`?app_guids=${app.guid}&per_page=1`);
        expect(page.resources).to.have.length(1);
        expect(page.pagination.total_results).to.be.greaterThan(1);
      });

      it('gets a build by GUID; one that does not exist or cannot be seen is 404', async () => {
        const response = await cf.get(`/v3/builds/${failed.guid}`, manager.headers);
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.deep.include({ guid: failed.guid, state: 'FAILED', error: 'scripted staging failed' });
        expectCfError(await cf.get(`/v3/builds/${unknownGuid}`), cfError.notFound('Build'));
        expectCfError(await cf.get(`/v3/builds/${failed.guid}`, outsider.headers), cfError.notFound('Build'));
        expectCfError(await cf.get(`/v3/builds/${failed.guid}`, auditor.headers), cfError.notFound('Build'));
      });

      it('filters by label selector after PATCH /v3/builds/{guid} set labels (as CF and current Korifi do)', async () => {
        const patched = await cf.patch(`/v3/builds/${staged.guid}`, {
          metadata: { labels: { release: 'r1' }, annotations: { note: 'n' } },
        });
        expect(patched.status, patched.text).to.equal(200);
        expect(patched.body).to.deep.include({
          guid: staged.guid,
          state: 'STAGED',
          metadata: { labels: { release: 'r1' }, annotations: { note: 'n' } },
        });
        expect((await list('?label_selector=release=r1')).resources.map((build) => build.guid)).to.deep.equal([staged.guid]);
        const removed = await cf.patch(`/v3/builds/${staged.guid}`, { metadata: { labels: { release: null } } });
        expect((removed.body as Build).metadata.labels).to.deep.equal({});
        expectCfError(
          await cf.patch(`/v3/builds/${staged.guid}`, { metadata: { labels: { a: 'b' } } }, manager.headers),
          cfError.notAuthorized(),
        );
        expectCfError(await cf.patch(`/v3/builds/${unknownGuid}`, { metadata: {} }), cfError.notFound('Build'));
      });
    });
  },
  { config: { appRuntime: 'scripted' } },
);
