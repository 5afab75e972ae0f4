import { expect } from 'chai';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { eventually } from '../../store/fixture.ts';
import { packageRegistryForSuite, storeRegistryCredentials } from '../../support/package-registry.ts';
import { makeZip } from '../../unit/bits/zip-fixtures.ts';
import { createPackage, upload } from '../packages/package-fixtures.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { ListOf } from '../tenancy/resources.ts';
import { createApp, createBuild, finished, setEnvironment, type App, type Droplet } from './support.ts';

/**
 * The calls `cf push` makes for a bits app once the app exists (cf-cli.md, push): package, upload,
 * build and its poll, droplet, current droplet, start; then what `cf start` asks to decide whether the
 * newest package still needs staging. Bits are staged from where the upload put them: files on the
 * embedded backend, a real registry on kubernetes.
 */
describe('the cf push sequence, from bits to a started app', function () {
  const config: ConfigInput = { appRuntime: 'scripted' };
  const registryOf = packageRegistryForSuite(config);

  forEachBackend(
    'push',
    (cf) => {
      let app: App;
      before(async () => {
        const org = await cf.createOrg();
        const space = await cf.createSpace(org.guid);
        app = await createApp(cf, space.guid);
        await setEnvironment(cf, app.guid, { SCRIPTED_PROCESS_TYPES: 'web=node server.js' });
        await storeRegistryCredentials(cf.server, registryOf());
      });

      it('stages uploaded bits into a droplet the app then runs', async () => {
        const created = await createPackage(cf, app.guid, 'bits');
        const zip = await makeZip([
          { path: 'Procfile', content: 'web: node server.js\n' },
          { path: 'server.js', content: "console.log('hello');\n" },
        ]);
        const uploaded = await upload(cf, created.guid, { resources: '[]', bits: zip });
        expect(uploaded.status, uploaded.text).to.equal(200);
        expect((uploaded.body as { state: string }).state).to.equal('READY');

        const build = await finished(cf, (await createBuild(cf, created.guid)).guid);
        expect(build, JSON.stringify(build)).to.deep.include({ state: 'STAGED', error: null });
        const droplet = await cf.get(`/v3/droplets/${build.droplet?.guid}`);
        expect(droplet.status, droplet.text).to.equal(200);
        expect(droplet.body).to.deep.include({ process_types: { web: 'node server.js' }, stack: 'cflinuxfs3', image: null });

        const assigned = await cf.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: build.guid } });
        expect(assigned.status, assigned.text).to.equal(200);
        const started = await cf.post(`/v3/apps/${app.guid}/actions/start`, undefined);
        expect(started.status, started.text).to.equal(200);
        expect((started.body as App).state).to.equal('STARTED');
        await eventually(async () => {
          const processes = await cf.get(`/v3/apps/${app.guid}/processes`);
          expect(processes.status, processes.text).to.equal(200);
          expect((processes.body as ListOf<{ type: string }>).resources.map((process) => process.type)).to.deep.equal(['web']);
        });

        // `cf start`'s check: the newest package has a staged droplet, so there is nothing to stage.
        const packages = await cf.get(`/v3/packages?app_guids=${app.guid}&order_by=-created_at&page=1&per_page=1`);
        expect((packages.body as ListOf<{ guid: string }>).resources.map((item) => item.guid)).to.deep.equal([created.guid]);
        const staged = await cf.get(`/v3/packages/${created.guid}/droplets?page=1&per_page=1&states=STAGED`);
        expect((staged.body as ListOf<Droplet>).resources.map((item) => item.guid)).to.deep.equal([build.guid]);
        const current = await cf.get(`/v3/apps/${app.guid}/droplets/current`);
        expect((current.body as Droplet).guid).to.equal(build.guid);
      });
    },
    { config },
  );
});
