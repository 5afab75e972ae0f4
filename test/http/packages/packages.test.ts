import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PackageBitsNotFound } from '../../../src/bits/bits-errors.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { packageFinalizer } from '../../../src/reconcilers/workloads/package-controller.ts';
import { dockerManifestType } from '../../../src/store/kubernetes/registry/package-image.ts';
import { RegistryClient } from '../../../src/store/kubernetes/registry/registry-client.ts';
import { isRegistryError } from '../../../src/store/kubernetes/registry/registry-error.ts';
import { eventually, uniqueName } from '../../store/fixture.ts';
import { packageRegistryForSuite, registrySecretName, storeRegistryCredentials } from '../../support/package-registry.ts';
import { listZip, makeZip, renameEntry } from '../../unit/bits/zip-fixtures.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import { cfError, expectCfError, type ExpectedError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';
import { findStored, timestampPattern, uuidPattern } from '../tenancy/store-lookups.ts';
import { createApp, createPackage, packageRequest, partialUpload, upload, type App, type Package } from './package-fixtures.ts';

const unknownGuid = '00000000-0000-4000-8000-000000000000';
const packageNotFound = cfError.notFound('Package');
const invalidApp = cfError.unprocessable('App is invalid. Ensure it exists and you have access to it.');
const alreadyUploaded: ExpectedError = {
  status: 400,
  code: 150004,
  title: 'CF-PackageBitsAlreadyUploaded',
  detail: 'Bits may be uploaded only once. Create a new package to upload different bits.',
};
const sha1 = (content: string | Buffer): string => createHash('sha1').update(content).digest('hex');
const sha256 = (content: Buffer): string => createHash('sha256').update(content).digest('hex');

describe('packages', function () {
  // The kubernetes server pushes bits to a real registry; the config names it once it has started.
  const maxUploadBytes = 2 * 1024 * 1024;
  const config: ConfigInput = { packages: { maxUploadBytes } };
  const registryOf = packageRegistryForSuite(config);

  forEachBackend(
    'packages',
    (cf, backend) => {
      let org: Organization;
      let space: Space;
      let app: App;
      before(async () => {
        org = await cf.createOrg();
        space = await cf.createSpace(org.guid);
        app = await createApp(cf, space.guid);
        await storeRegistryCredentials(cf.server, registryOf());
      });

      const getPackage = async (guid: string): Promise<Package> => {
        const response = await cf.get(`/v3/packages/${guid}`);
        expect(response.status, response.text).to.equal(200);
        return response.body as Package;
      };
      const list = async (path: string): Promise<ListOf<Package>> => {
        const response = await cf.get(path);
        expect(response.status, response.text).to.equal(200);
        return response.body as ListOf<Package>;
      };
      const guids = (page: ListOf<Package>) => page.resources.map((item) => item.guid);
      const embedded = () => cf.server.backend === 'embedded';
      const appZip = () =>
        makeZip([
          { path: 'Procfile', content: 'web: node server.js\n' },
          { directory: 'bin' },
          { path: 'bin/start', content: '#!/bin/sh\nexec node server.js\n', mode: 0o755 },
          { path: 'server.js', content: `console.log('${uniqueName('hello')}');\n` },
        ]);

      describe('POST /v3/packages', () => {
        it('creates a bits package AWAITING_UPLOAD, stored as Korifi stores it, once its controller has initialised it', async () => {
          const created = await createPackage(cf, app.guid, 'bits', {
            metadata: { labels: { commit: 'abc' }, annotations: { note: 'x' } },
          });
          expect(created.guid).to.match(uuidPattern);
          expect(created.created_at).to.match(timestampPattern);
          const self = cf.url(`/v3/packages/${created.guid}`);
          expect(created).to.deep.include({
            type: 'bits',
            state: 'AWAITING_UPLOAD',
            relationships: { app: { data: { guid: app.guid } } },
            metadata: { labels: { commit: 'abc' }, annotations: { note: 'x' } },
            links: {
              self: { href: self },
              upload: { href: `${self}/upload`, method: 'POST' },
              download: { href: `${self}/download`, method: 'GET' },
              app: { href: cf.url(`/v3/apps/${app.guid}`) },
            },
          });
          const stored = await findStored(cf.server, { kind: 'CFPackage', namespace: space.guid, name: created.guid });
          expect(stored?.spec).to.deep.equal({ type: 'bits', appRef: { name: app.guid }, source: { registry: { image: '' } } });
          expect(stored?.metadata.ownerReferences).to.have.length(1);
          expect(stored?.metadata.ownerReferences?.[0]).to.include({ kind: 'CFApp', name: app.guid, controller: true });
          expect(stored?.metadata.labels).to.include({
            'korifi.cloudfoundry.org/app-guid': app.guid,
            'korifi.cloudfoundry.org/package-state': 'AWAITING_UPLOAD',
          });
          expect(stored?.metadata.finalizers).to.include(packageFinalizer);
          const initialized = stored?.status?.conditions?.find((condition) => condition.type === 'Initialized');
          expect(initialized).to.include({ status: 'True', observedGeneration: stored?.metadata.generation });
        });

        it('creates a docker package READY at once; registry credentials become a pull secret it owns', async () => {
          const dockerApp = await createApp(cf, space.guid, { lifecycle: { type: 'docker', data: {} } });
          const image = 'registry.example.org/team/web:1.4.2';
          const created = await createPackage(cf, dockerApp.guid, 'docker', { data: { image, username: 'deployer', password: 's3cret' } });
          expect(created).to.deep.include({ type: 'docker', state: 'READY', data: { image } });
          expect(created.links).to.not.have.property('upload');
          const stored = await findStored(cf.server, { kind: 'CFPackage', namespace: space.guid, name: created.guid });
          expect(stored?.spec.source).to.deep.equal({ registry: { image, imagePullSecrets: [{ name: created.guid }] } });
          const secret = await findStored(cf.server, { kind: 'Secret', namespace: space.guid, name: created.guid });
          expect(secret?.type).to.equal('kubernetes.io/dockerconfigjson');
          expect(secret?.metadata.ownerReferences?.[0]).to.include({ kind: 'CFPackage', name: created.guid, uid: stored?.metadata.uid });
          const dockerConfig = JSON.parse(Buffer.from(secret?.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as {
            auths: Record<string, { username: string; password: string }>;
          };
          expect(dockerConfig.auths['registry.example.org']).to.include({ username: 'deployer', password: 's3cret' });

          const publicImage = await createPackage(cf, dockerApp.guid, 'docker', { data: { image: 'nginx:1.27' } });
          expect(publicImage.state).to.equal('READY');
          const storedPublic = await findStored(cf.server, { kind: 'CFPackage', namespace: space.guid, name: publicImage.guid });
          expect(storedPublic?.spec.source).to.deep.equal({ registry: { image: 'nginx:1.27' } });
        });

        it('refuses an app the caller cannot see, a type the app does not take, and a docker package without an image', async () => {
          expectCfError(await cf.post('/v3/packages', packageRequest(unknownGuid)), invalidApp);
          const dockerApp = await createApp(cf, space.guid, { lifecycle: { type: 'docker', data: {} } });
          expectCfError(
            await cf.post('/v3/packages', packageRequest(dockerApp.guid, 'bits')),
            cfError.unprocessable('cannot create bits package for a docker app'),
          );
          expectCfError(
            await cf.post('/v3/packages', packageRequest(app.guid, 'docker', { data: { image: 'nginx' } })),
            cfError.unprocessable('cannot create docker package for a buildpack app'),
          );
          expectCfError(
            await cf.post('/v3/packages', packageRequest(dockerApp.guid, 'docker')),
            cfError.unprocessable('data.image must be present for a docker package'),
          );
          expectCfError(
            await cf.post('/v3/packages', packageRequest(app.guid, 'bits', { data: { image: 'nginx' } })),
            cfError.unprocessable('data must be empty for a bits package'),
          );
          // Nothing was written for any of them (checked before creating, unlike Korifi).
          expect((await list(`/v3/apps/${dockerApp.guid}/packages`)).resources).to.deep.equal([]);
          const outsider = await cf.newUser('outsider');
          expectCfError(await cf.post('/v3/packages', packageRequest(app.guid), outsider.headers), invalidApp);
        });

        it('takes the bodies Korifi takes: null data and null metadata', async () => {
          const created = await createPackage(cf, app.guid, 'bits', { data: null, metadata: null });
          expect(created.state).to.equal('AWAITING_UPLOAD');
        });
      });

      describe('GET, PATCH and lists', () => {
        it('gets a package, and answers 404 for one that does not exist', async () => {
          const created = await createPackage(cf, app.guid);
          expect(await getPackage(created.guid)).to.deep.equal(created);
          expectCfError(await cf.get(`/v3/packages/${unknownGuid}`), packageNotFound);
        });

        it('changes labels and annotations', async () => {
          const created = await createPackage(cf, app.guid, 'bits', { metadata: { labels: { a: '1', b: '2' } } });
          const response = await cf.patch(`/v3/packages/${created.guid}`, {
            metadata: { labels: { a: null, c: '3' }, annotations: { n: 'v' } },
          });
          expect(response.status, response.text).to.equal(200);
          expect((response.body as Package).metadata).to.deep.equal({ labels: { b: '2', c: '3' }, annotations: { n: 'v' } });
          expectCfError(await cf.patch(`/v3/packages/${unknownGuid}`, { metadata: { labels: { a: 'b' } } }), packageNotFound);
        });

        it('lists packages by app, type, state, guid and label, and an app its packages', async () => {
          const otherApp = await createApp(cf, space.guid);
          const first = await createPackage(cf, otherApp.guid, 'bits', { metadata: { labels: { pick: 'me' } } });
          await new Promise((resolve) => setTimeout(resolve, 1100));
          const second = await createPackage(cf, otherApp.guid);
          const uploaded = await upload(cf, second.guid, { bits: await appZip() });
          expect(uploaded.status, uploaded.text).to.equal(200);

          expect(guids(await list(`/v3/packages?app_guids=${otherApp.guid}&order_by=created_at`))).to.deep.equal([first.guid, second.guid]);
          expect(guids(await list(`/v3/packages?app_guids=${otherApp.guid}&order_by=-created_at&per_page=1`))).to.deep.equal([second.guid]);
          expect(guids(await list(`/v3/packages?app_guids=${otherApp.guid}&states=READY`))).to.deep.equal([second.guid]);
          expect(guids(await list(`/v3/packages?app_guids=${otherApp.guid}&states=AWAITING_UPLOAD`))).to.deep.equal([first.guid]);
          expect(guids(await list(`/v3/packages?app_guids=${otherApp.guid}&types=docker`))).to.deep.equal([]);
          expect(guids(await list(`/v3/packages?guids=${first.guid}`))).to.deep.equal([first.guid]);
          expect(guids(await list(`/v3/packages?label_selector=pick%3Dme`))).to.deep.equal([first.guid]);
          expect(guids(await list(`/v3/packages?space_guids=${space.guid}&app_guids=${otherApp.guid}`))).to.have.members([
            first.guid,
            second.guid,
          ]);
          expect(guids(await list(`/v3/apps/${otherApp.guid}/packages?order_by=-created_at`))).to.deep.equal([second.guid, first.guid]);
          expect(guids(await list(`/v3/apps/${otherApp.guid}/packages?states=READY`))).to.deep.equal([second.guid]);
          expectCfError(await cf.get(`/v3/apps/${unknownGuid}/packages`), cfError.notFound('App'));
        });
      });

      describe('POST /v3/packages/{guid}/upload', () => {
        it('stores the bits and makes the package READY; a second upload is refused', async () => {
          const created = await createPackage(cf, app.guid);
          const zip = await appZip();
          const response = await upload(cf, created.guid, { resources: '[]', bits: zip });
          expect(response.status, response.text).to.equal(200);
          const ready = response.body as Package;
          expect(ready.state).to.equal('READY');
          expect(await getPackage(created.guid)).to.deep.include({ state: 'READY' });
          // The status-derived label follows the status write with a write of its own.
          const stored = await eventually(async () => {
            const found = await findStored(cf.server, { kind: 'CFPackage', namespace: space.guid, name: created.guid });
            expect(found?.metadata.labels?.['korifi.cloudfoundry.org/package-state']).to.equal('READY');
            return found;
          });
          expect(stored?.spec.source?.registry.imagePullSecrets).to.deep.equal([{ name: registrySecretName }]);
          expect(stored?.metadata.annotations ?? {}).to.not.have.property('cfapi.cloudfoundry.org/upload-claim');
          if (embedded()) {
            // The embedded store keeps the zip as uploaded, by its sha256.
            expect(ready.data).to.deep.equal({ checksum: { type: 'sha256', value: sha256(zip) }, error: null });
            expect(stored?.spec.source?.registry.image).to.equal(`bits.cfapi.invalid/${app.guid}-packages@sha256:${sha256(zip)}`);
            const kept = await readFile(join(cf.server.dataDir, 'bits', 'packages', created.guid, sha256(zip)));
            expect(kept.equals(zip)).to.equal(true);
          } else {
            // Pushed as Korifi pushes it: the app's repository, tagged with the package GUID, named by digest.
            const repository = `${registryOf().host}/cfapi/${app.guid}-packages`;
            expect(ready.data).to.deep.equal({ image: repository });
            const client = new RegistryClient({
              registry: registryOf().host,
              caPem: registryOf().caPem,
              credentials: { username: registryOf().username, password: registryOf().password },
            });
            const manifest = await client.getManifest(`cfapi/${app.guid}-packages`, created.guid, [dockerManifestType]);
            expect(stored?.spec.source?.registry.image).to.equal(`${repository}@${manifest.digest}`);
          }
          expectCfError(await upload(cf, created.guid, { bits: zip }), alreadyUploaded);
        });

        it('gives the stored bits back as a zip with the same files, modes and links (what staging reads)', async () => {
          const created = await createPackage(cf, app.guid);
          const zip = await makeZip([
            { path: 'Procfile', content: 'web: bin/start\n' },
            { directory: 'bin' },
            { path: 'bin/start', content: '#!/bin/sh\necho started\n', mode: 0o755 },
            { path: 'config/secret.yml', content: 'key: value\n', mode: 0o600 },
            { link: 'start', target: 'bin/start' },
          ]);
          expect((await upload(cf, created.guid, { bits: zip })).status).to.equal(200);
          const opened = await cf.server.bits.packages.openPackageBits({ appGuid: app.guid, packageGuid: created.guid });
          const chunks: Buffer[] = [];
          for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
          const summary = (entries: Awaited<ReturnType<typeof listZip>>) =>
            entries
              .map((entry) => ({ path: entry.path.replace(/\/$/, ''), mode: entry.mode, content: entry.content.toString('utf8') }))
              .sort((a, b) => a.path.localeCompare(b.path));
          expect(summary(await listZip(Buffer.concat(chunks)))).to.deep.equal(summary(await listZip(zip)));
        });

        it('refuses what is not a usable upload: no form, no bits, a docker package, a bad zip, an unknown package', async () => {
          const created = await createPackage(cf, app.guid);
          const notMultipart = await cf.server.request(`/v3/packages/${created.guid}/upload`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...cf.admin },
            body: '{}',
          });
          expectCfError(notMultipart, {
            status: 400,
            code: 10004,
            title: 'CF-InvalidRequest',
            detail: 'Unable to parse body as multipart form',
          });
          expectCfError(await upload(cf, created.guid, {}), cfError.unprocessable('Upload must include bits'));
          expectCfError(
            await upload(cf, created.guid, { bits: Buffer.from('not a zip at all') }),
            cfError.unprocessable('The uploaded package is not a valid zip file.'),
          );
          const evil = renameEntry(await makeZip([{ path: 'xx/evil.txt', content: 'boo' }]), 'xx/evil.txt', '../evil.txt');
          const refused = await upload(cf, created.guid, { bits: evil });
          expect(refused.status, refused.text).to.equal(422);
          expect(refused.text).to.contain('outside its root directory');
          // None of them left bits or a claim: the package still takes an upload.
          expect((await getPackage(created.guid)).state).to.equal('AWAITING_UPLOAD');
          expect((await upload(cf, created.guid, { bits: await appZip() })).status).to.equal(200);

          const dockerApp = await createApp(cf, space.guid, { lifecycle: { type: 'docker', data: {} } });
          const docker = await createPackage(cf, dockerApp.guid, 'docker', { data: { image: 'nginx' } });
          expectCfError(await upload(cf, docker.guid, { bits: await appZip() }), cfError.unprocessable('Package type must be bits.'));
          expectCfError(await upload(cf, unknownGuid, { bits: await appZip() }), packageNotFound);
        });

        it('refuses a zip over packages.maxUploadBytes while it streams, keeping nothing of it', async () => {
          const created = await createPackage(cf, app.guid);
          const tooBig = await makeZip([{ path: 'random.bin', content: randomBytes(maxUploadBytes + 1024), compress: false }]);
          expectCfError(
            await upload(cf, created.guid, { bits: tooBig }),
            cfError.unprocessable(`The package is larger than the limit of ${maxUploadBytes} bytes.`),
          );
          expect((await getPackage(created.guid)).state).to.equal('AWAITING_UPLOAD');
          if (embedded()) expect(await readdir(join(cf.server.dataDir, 'bits', 'uploads'))).to.deep.equal([]);
        });

        it('leaves an interrupted upload AWAITING_UPLOAD, with nothing stored, and takes the next one', async () => {
          const created = await createPackage(cf, app.guid);
          const zip = await makeZip([{ path: 'big.bin', content: Buffer.alloc(512 * 1024, 7), compress: false }]);
          const interrupted = partialUpload(cf, created.guid, zip, 200 * 1024);
          await interrupted.sent;
          await eventually(async () => expect((await getPackage(created.guid)).state).to.equal('PROCESSING_UPLOAD'));
          interrupted.abort();
          await eventually(async () => {
            const stored = await findStored(cf.server, { kind: 'CFPackage', namespace: space.guid, name: created.guid });
            expect(stored?.metadata.annotations ?? {}).to.not.have.property('cfapi.cloudfoundry.org/upload-claim');
          });
          expect((await getPackage(created.guid)).state).to.equal('AWAITING_UPLOAD');
          if (embedded()) {
            expect(await readdir(join(cf.server.dataDir, 'bits', 'uploads'))).to.deep.equal([]);
            expect(await readdir(join(cf.server.dataDir, 'bits', 'packages'))).to.not.include(created.guid);
          }
          const response = await upload(cf, created.guid, { bits: zip });
          expect(response.status, response.text).to.equal(200);
        });

        it('lets exactly one of two concurrent uploads win; the other gets the 400', async () => {
          const created = await createPackage(cf, app.guid);
          const zip = await appZip();
          const results = await Promise.all([upload(cf, created.guid, { bits: zip }), upload(cf, created.guid, { bits: zip })]);
          expect(results.map((result) => result.status).sort()).to.deep.equal([200, 400]);
          expectCfError(
            results.find((result) => result.status === 400)!,
            alreadyUploaded,
          );

          // And an upload that is still streaming holds the package against a second one.
          const slow = await createPackage(cf, app.guid);
          const first = partialUpload(cf, slow.guid, zip, 100);
          await first.sent;
          await eventually(async () => expect((await getPackage(slow.guid)).state).to.equal('PROCESSING_UPLOAD'));
          expectCfError(await upload(cf, slow.guid, { bits: zip }), alreadyUploaded);
          const finished = await first.finish();
          expect(finished.status, finished.body).to.equal(200);
        });

        it('brings back matched resources: a second push sends only their list; kubernetes matches none', async () => {
          const content = `module.exports = '${uniqueName('cached')}';\n`;
          const first = await createPackage(cf, app.guid);
          const zip = await makeZip([
            { path: 'lib/index.js', content },
            { path: 'Procfile', content: 'web: node lib/index.js\n' },
          ]);
          expect((await upload(cf, first.guid, { bits: zip })).status).to.equal(200);

          const asked = {
            resources: [
              { checksum: { value: sha1(content) }, size_in_bytes: Buffer.byteLength(content), path: 'lib/index.js', mode: '644' },
              { checksum: { value: sha1('never uploaded') }, size_in_bytes: 14, path: 'other.js', mode: '644' },
              { path: 'no-checksum.js' },
            ],
          };
          const matched = await cf.post('/v3/resource_matches', asked);
          expect(matched.status, matched.text).to.equal(201);
          if (!embedded()) {
            expect(matched.body).to.deep.equal({ resources: [] });
            return;
          }
          expect(matched.body).to.deep.equal({ resources: [asked.resources[0]] });
          const second = await createPackage(cf, app.guid);
          const resources = JSON.stringify([{ fn: 'lib/index.js', sha1: sha1(content), size: Buffer.byteLength(content), mode: '750' }]);
          const response = await upload(cf, second.guid, { resources });
          expect(response.status, response.text).to.equal(200);
          expect((response.body as Package).state).to.equal('READY');
          const [blob] = await readdir(join(cf.server.dataDir, 'bits', 'packages', second.guid));
          const entries = await listZip(await readFile(join(cf.server.dataDir, 'bits', 'packages', second.guid, blob!)));
          expect(entries.map((entry) => ({ path: entry.path, mode: entry.mode, content: entry.content.toString() }))).to.deep.equal([
            { path: 'lib/index.js', mode: 0o100750, content },
          ]);
          // A matched file the server does not hold is refused.
          const third = await createPackage(cf, app.guid);
          const unknown = JSON.stringify([{ fn: 'x.js', sha1: sha1('never uploaded'), size: 14, mode: '644' }]);
          const refused = await upload(cf, third.guid, { resources: unknown });
          expect(refused.status, refused.text).to.equal(422);
          expect((await getPackage(third.guid)).state).to.equal('AWAITING_UPLOAD');
        });

        it('answers an empty resource match for no body or nothing held', async () => {
          const none = await cf.send('POST', '/v3/resource_matches');
          expect(none.status, none.text).to.equal(201);
          expect(none.body).to.deep.equal({ resources: [] });
        });
      });

      describe('who may', () => {
        it('lets a space manager see a package but neither create one, change it nor upload to it', async () => {
          const manager = await cf.newUser('manager');
          await cf.grant(manager.name, 'organization_user', { organization: org.guid });
          await cf.grant(manager.name, 'space_manager', { space: space.guid });
          const created = await createPackage(cf, app.guid);
          const seen = await cf.get(`/v3/packages/${created.guid}`, manager.headers);
          expect(seen.status, seen.text).to.equal(200);
          expect(guids((await cf.get(`/v3/apps/${app.guid}/packages`, manager.headers)).body as ListOf<Package>)).to.include(created.guid);
          expectCfError(await cf.post('/v3/packages', packageRequest(app.guid), manager.headers), cfError.notAuthorized());
          expectCfError(await upload(cf, created.guid, { bits: await appZip() }, manager.headers), cfError.notAuthorized());
          expectCfError(
            await cf.patch(`/v3/packages/${created.guid}`, { metadata: { labels: { a: 'b' } } }, manager.headers),
            cfError.notAuthorized(),
          );
          expect((await getPackage(created.guid)).state).to.equal('AWAITING_UPLOAD');
        });

        it("keeps packages from a space auditor, as Korifi's role does, and from someone without a role", async () => {
          const auditor = await cf.newUser('auditor');
          await cf.grant(auditor.name, 'organization_user', { organization: org.guid });
          await cf.grant(auditor.name, 'space_auditor', { space: space.guid });
          const created = await createPackage(cf, app.guid);
          expectCfError(await cf.get(`/v3/packages/${created.guid}`, auditor.headers), packageNotFound);
          expect(guids((await cf.get(`/v3/packages?app_guids=${app.guid}`, auditor.headers)).body as ListOf<Package>)).to.deep.equal([]);
          // The auditor reads the app, so the create is refused for what it is.
          expectCfError(await cf.post('/v3/packages', packageRequest(app.guid), auditor.headers), cfError.notAuthorized());
          expectCfError(await upload(cf, created.guid, { bits: await appZip() }, auditor.headers), packageNotFound);
          const outsider = await cf.newUser('outsider');
          expectCfError(await cf.get(`/v3/packages/${created.guid}`, outsider.headers), packageNotFound);
          expectCfError(await upload(cf, created.guid, { bits: await appZip() }, outsider.headers), packageNotFound);
          expect((await getPackage(created.guid)).state).to.equal('AWAITING_UPLOAD');
        });

        it('lets a space developer create a package and upload its bits', async () => {
          const developer = await cf.newUser('developer');
          await cf.grant(developer.name, 'organization_user', { organization: org.guid });
          await cf.grant(developer.name, 'space_developer', { space: space.guid });
          const response = await cf.post('/v3/packages', packageRequest(app.guid), developer.headers);
          expect(response.status, response.text).to.equal(201);
          const uploaded = await upload(cf, (response.body as Package).guid, { bits: await appZip() }, developer.headers);
          expect(uploaded.status, uploaded.text).to.equal(200);
          expect((uploaded.body as Package).state).to.equal('READY');
        });
      });

      describe('deletion', () => {
        it("deletes a package's bits when its app goes", async () => {
          const doomed = await createApp(cf, space.guid);
          const created = await createPackage(cf, doomed.guid);
          const zip = await makeZip([{ path: 'only-here.txt', content: uniqueName('unique content') }]);
          expect((await upload(cf, created.guid, { bits: zip })).status).to.equal(200);
          const stored = await findStored(cf.server, { kind: 'CFPackage', namespace: space.guid, name: created.guid });
          const blob = join(cf.server.dataDir, 'bits', 'sha256', sha256(zip));
          if (embedded()) expect(await readFile(blob)).to.have.length(zip.length);
          await cf.deleteAndWait(`/v3/apps/${doomed.guid}`, 'app.delete', doomed.guid);
          await eventually(async () => {
            expect(await findStored(cf.server, { kind: 'CFPackage', namespace: space.guid, name: created.guid })).to.equal(undefined);
          }, 60_000);
          const gone = await cf.server.bits.packages.openPackageBits({ appGuid: doomed.guid, packageGuid: created.guid }).then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(gone).to.be.instanceOf(PackageBitsNotFound);
          if (embedded()) {
            expect(await readdir(join(cf.server.dataDir, 'bits', 'packages'))).to.not.include(created.guid);
            expect(await readdir(join(cf.server.dataDir, 'bits', 'sha256'))).to.not.include(sha256(zip));
          } else {
            // The image the package named is deleted from the registry, not only untagged.
            const client = new RegistryClient({
              registry: registryOf().host,
              caPem: registryOf().caPem,
              credentials: { username: registryOf().username, password: registryOf().password },
            });
            const image = stored!.spec.source!.registry.image;
            const digest = image.slice(image.indexOf('@') + 1);
            const deleted = await client.getManifest(`cfapi/${doomed.guid}-packages`, digest, [dockerManifestType]).then(
              () => undefined,
              (error: unknown) => error,
            );
            expect(isRegistryError(deleted, 'not-found'), String(deleted)).to.equal(true);
          }
        });
      });

      describe('space deletion', () => {
        it('deletes a space whose app has packages (their finalizer released, their bits gone)', async () => {
          const doomedSpace = await cf.createSpace(org.guid);
          const doomedApp = await createApp(cf, doomedSpace.guid);
          const created = await createPackage(cf, doomedApp.guid);
          const zip = await makeZip([{ path: 'space.txt', content: uniqueName('space content') }]);
          expect((await upload(cf, created.guid, { bits: zip })).status).to.equal(200);
          const { job } = await cf.deleteAndWait(`/v3/spaces/${doomedSpace.guid}`, 'space.delete', doomedSpace.guid);
          expect(job.state).to.equal('COMPLETE');
          const gone = await cf.server.bits.packages.openPackageBits({ appGuid: doomedApp.guid, packageGuid: created.guid }).then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(gone).to.be.instanceOf(PackageBitsNotFound);
        });
      });

      describe('upload claims', () => {
        it('takes an upload when the claim on the package has expired (its server died), not while another holds it', async () => {
          const created = await createPackage(cf, app.guid);
          const ref = { kind: 'CFPackage' as const, namespace: space.guid, name: created.guid };
          const claim = (expiresAt: number) => ({
            metadata: { annotations: { 'cfapi.cloudfoundry.org/upload-claim': `someone ${expiresAt}` } },
          });
          await cf.server.store.privileged().patch(ref, claim(Date.now() + 60_000));
          expect((await getPackage(created.guid)).state).to.equal('PROCESSING_UPLOAD');
          expectCfError(await upload(cf, created.guid, { bits: await appZip() }), alreadyUploaded);
          await cf.server.store.privileged().patch(ref, claim(Date.now() - 1000));
          expect((await getPackage(created.guid)).state).to.equal('AWAITING_UPLOAD');
          const response = await upload(cf, created.guid, { bits: await appZip() });
          expect(response.status, response.text).to.equal(200);
          expect((response.body as Package).state).to.equal('READY');
        });
      });

      describe('bits shared by packages', () => {
        it("keeps one package's bits when another package with the same bits goes", async () => {
          const zip = await makeZip([{ path: 'same.txt', content: uniqueName('same content') }]);
          const [first, second] = [await createPackage(cf, app.guid), await createPackage(cf, app.guid)];
          for (const cfPackage of [first, second]) expect((await upload(cf, cfPackage.guid, { bits: zip })).status).to.equal(200);
          await cf.server.bits.packages.deletePackageBits({ appGuid: app.guid, packageGuid: first.guid });
          const firstGone = await cf.server.bits.packages.openPackageBits({ appGuid: app.guid, packageGuid: first.guid }).then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(firstGone).to.be.instanceOf(PackageBitsNotFound);
          const kept = await cf.server.bits.packages.openPackageBits({ appGuid: app.guid, packageGuid: second.guid });
          const chunks: Buffer[] = [];
          for await (const chunk of kept.stream) chunks.push(chunk as Buffer);
          expect((await listZip(Buffer.concat(chunks))).map((entry) => entry.path)).to.deep.equal(['same.txt']);
          // Once the second goes too, nothing of them is left.
          await cf.server.bits.packages.deletePackageBits({ appGuid: app.guid, packageGuid: second.guid });
          const gone = await cf.server.bits.packages.openPackageBits({ appGuid: app.guid, packageGuid: second.guid }).then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(gone).to.be.instanceOf(PackageBitsNotFound);
          if (embedded()) expect(await readdir(join(cf.server.dataDir, 'bits', 'sha256'))).to.not.include(sha256(zip));
        });
      });

      // Only the kubernetes backend pushes to a registry.
      if (backend === 'kubernetes')
        describe('registry failures', () => {
          it('answers 502 CF-BlobstoreUnavailable when the registry refuses the push, and leaves the package AWAITING_UPLOAD', async () => {
            const server = cf.server.store.privileged();
            const secretRef = { kind: 'Secret' as const, namespace: cf.server.config.rootNamespace, name: registrySecretName };
            const secret = await server.get(secretRef);
            await server.delete(secretRef);
            try {
              const created = await createPackage(cf, app.guid);
              expectCfError(await upload(cf, created.guid, { bits: await appZip() }), {
                status: 502,
                code: 150006,
                title: 'CF-BlobstoreUnavailable',
                detail: 'Error uploading source package to the container registry',
              });
              expect((await getPackage(created.guid)).state).to.equal('AWAITING_UPLOAD');
            } finally {
              await server.create({
                kind: 'Secret',
                type: secret.type ?? 'kubernetes.io/dockerconfigjson',
                metadata: { name: registrySecretName, namespace: secretRef.namespace },
                data: secret.data ?? {},
              });
            }
          });
        });
    },
    { config },
  );
});
