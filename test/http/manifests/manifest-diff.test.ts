import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { Space } from '../tenancy/resources.ts';
import { manifestWorld, postManifest } from './manifest-requests.ts';

type Diff = components['schemas']['ManifestDiff'];

const appName = () => uniqueName('df').replaceAll('_', '-').toLowerCase();

/** `POST /v3/spaces/{guid}/manifest_diff` (`cf push` with a manifest file): a real diff, in Cloud Controller's format. */
forEachBackend('manifest diff', (cf) => {
  let space: Space;
  let otherSpace: Space;
  let developer: CfUser;
  let manager: CfUser;
  let domainName: string;

  before(async () => {
    ({ space, otherSpace, developer, manager, domainName } = await manifestWorld(cf));
  });

  async function diffOf(manifest: unknown, as?: CfUser): Promise<Diff['diff']> {
    const response = await postManifest(cf, space.guid, manifest, { action: 'manifest_diff', ...(as ? { as: as.headers } : {}) });
    expect(response.status, response.text).to.equal(202);
    return (response.body as Diff).diff;
  }

  async function apply(manifest: unknown): Promise<void> {
    const response = await postManifest(cf, space.guid, manifest);
    expect(response.status, response.text).to.equal(202);
  }

  it('is all additions for an app that does not exist yet (keys the API ignores, such as path, left out)', async () => {
    const name = appName();
    const diff = await diffOf({ applications: [{ name, path: '/tmp/x', memory: '256M', env: { A: '1' } }] });
    expect(diff).to.deep.equal([
      { op: 'add', path: '/applications/0/name', value: name },
      { op: 'add', path: '/applications/0/memory', value: '256M' },
      { op: 'add', path: '/applications/0/env', value: { A: '1' } },
    ]);
  });

  it('is empty when the manifest matches the app, with amounts in other units', async () => {
    const name = appName();
    const manifest = {
      applications: [
        {
          name,
          env: { A: '1', PORT: 8080 },
          routes: [{ route: `${name}.${domainName}` }],
          processes: [{ type: 'web', instances: 2, memory: '1G', 'health-check-type': 'port' }],
        },
      ],
    };
    await apply(manifest);
    expect(await diffOf(manifest, developer)).to.deep.equal([]);
    expect(await diffOf({ applications: [{ name, memory: '1024M', 'disk-quota': '1G', instances: 2 }] })).to.deep.equal([]);
  });

  it('names each changed value with what it was, and what is added; what the manifest leaves out is no change', async () => {
    const name = appName();
    await apply({
      applications: [
        { name, env: { A: '1', B: '2' }, routes: [{ route: `${name}.${domainName}` }], processes: [{ type: 'web', instances: 1 }] },
      ],
    });
    const diff = await diffOf({
      applications: [
        {
          name,
          env: { A: 'one', C: '3' },
          memory: '512M',
          routes: [{ route: `${name}.${domainName}` }, { route: `${name}-2.${domainName}/v1` }],
          processes: [
            { type: 'web', instances: 3, 'health-check-type': 'process' },
            { type: 'worker', command: 'work' },
          ],
          metadata: { labels: { tier: 'back' } },
        },
      ],
    });
    expect(diff).to.deep.equal([
      { op: 'replace', path: '/applications/0/env/A', was: '1', value: 'one' },
      { op: 'add', path: '/applications/0/env/C', value: '3' },
      { op: 'replace', path: '/applications/0/memory', was: '1024M', value: '512M' },
      { op: 'add', path: '/applications/0/routes/1', value: { route: `${name}-2.${domainName}/v1` } },
      { op: 'replace', path: '/applications/0/processes/0/instances', was: 1, value: 3 },
      { op: 'replace', path: '/applications/0/processes/0/health-check-type', was: 'port', value: 'process' },
      { op: 'add', path: '/applications/0/processes/1', value: { type: 'worker', command: 'work' } },
      { op: 'add', path: '/applications/0/metadata/labels/tier', value: 'back' },
    ]);
    // A diff writes nothing.
    expect(await diffOf({ applications: [{ name, env: { A: '1' } }] })).to.deep.equal([]);
  });

  it('shows the routes and bindings an apply would add: a default route only for an app without routes, no-route only when it has some', async () => {
    const name = appName();
    await apply({ applications: [{ name, 'no-route': true }] });
    expect(await diffOf({ applications: [{ name, 'default-route': true }] })).to.deep.equal([
      { op: 'add', path: '/applications/0/default-route', value: true },
    ]);
    expect(await diffOf({ applications: [{ name, 'no-route': true }] })).to.deep.equal([]);
    await apply({ applications: [{ name, 'default-route': true }] });
    expect(await diffOf({ applications: [{ name, 'default-route': true }] })).to.deep.equal([]);
    expect(await diffOf({ applications: [{ name, 'no-route': true }] })).to.deep.equal([
      { op: 'add', path: '/applications/0/no-route', value: true },
    ]);
    const instance = uniqueName('upsi');
    const created = await cf.post('/v3/service_instances', {
      type: 'user-provided',
      name: instance,
      relationships: { space: { data: { guid: space.guid } } },
    });
    expect(created.status, created.text).to.equal(201);
    expect(await diffOf({ applications: [{ name, services: [instance] }] })).to.deep.equal([
      { op: 'add', path: '/applications/0/services/0', value: instance },
    ]);
    await apply({ applications: [{ name, services: [instance] }] });
    expect(await diffOf({ applications: [{ name, services: [{ name: instance }] }] })).to.deep.equal([]);
  });

  it('refuses what an apply refuses: the same 422s, 404 for a space the caller cannot see, 403 to a space manager', async () => {
    const bad = await postManifest(cf, space.guid, { applications: [{ name: appName(), memory: '0M' }] }, { action: 'manifest_diff' });
    expectCfError(bad, cfError.unprocessable('applications[0].memory must be greater than 0MB'));
    const unparsable = await postManifest(cf, space.guid, 'applications: [', { action: 'manifest_diff' });
    expect(unparsable.status).to.equal(400);
    const hidden = await postManifest(cf, otherSpace.guid, { applications: [] }, { action: 'manifest_diff', as: developer.headers });
    expectCfError(hidden, cfError.notFound('Space'));
    const forbidden = await postManifest(cf, space.guid, { applications: [] }, { action: 'manifest_diff', as: manager.headers });
    expectCfError(forbidden, cfError.notAuthorized());
  });
});
