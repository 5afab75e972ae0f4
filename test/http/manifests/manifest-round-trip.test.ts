import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import type { components } from '../../../generated/openapi-types.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { ListOf, Space } from '../tenancy/resources.ts';
import { postManifest } from './manifest-requests.ts';

type App = components['schemas']['App'];
type Process = components['schemas']['Process'];
type Diff = components['schemas']['ManifestDiff'];

/**
 * `cf create-app-manifest` then `cf push -f` elsewhere: the manifest `GET /v3/apps/{guid}/manifest`
 * renders, applied to a fresh space, makes an app in the same state, whose manifest is the same again;
 * and diffed against the app it came from, it changes nothing.
 */
forEachBackend('manifest round trip', (cf) => {
  let orgGuid: string;
  let source: Space;
  let target: Space;
  let domainName: string;

  before(async () => {
    orgGuid = (await cf.createOrg()).guid;
    source = await cf.createSpace(orgGuid);
    target = await cf.createSpace(orgGuid);
    domainName = cf.server.config.defaultDomain;
  });

  async function applyIn(space: Space, manifest: unknown): Promise<void> {
    const response = await postManifest(cf, space.guid, manifest);
    expect(response.status, response.text).to.equal(202);
    const job = await cf.get((response.headers.get('location') ?? '').slice(cf.server.externalUrl.length));
    expect((job.body as { state: string }).state, job.text).to.equal('COMPLETE');
  }

  async function appIn(space: Space, name: string): Promise<App> {
    const response = await cf.get(`/v3/apps?names=${name}&space_guids=${space.guid}`);
    return (response.body as ListOf<App>).resources[0]!;
  }

  async function manifestOf(app: App): Promise<{ text: string; manifest: Record<string, unknown> }> {
    const response = await cf.get(`/v3/apps/${app.guid}/manifest`);
    expect(response.status, response.text).to.equal(200);
    return { text: response.text, manifest: parseYaml(response.text) as Record<string, unknown> };
  }

  /** What an app is, without what differs between any two apps (GUIDs, times, links, its space). */
  async function stateOf(app: App) {
    const env = await cf.get(`/v3/apps/${app.guid}/environment_variables`);
    const processes = await cf.get(`/v3/apps/${app.guid}/processes`);
    const types = (processes.body as ListOf<Process>).resources.map((process) => process.type).sort();
    const details = await Promise.all(
      types.map(async (type) => {
        const process = (await cf.get(`/v3/apps/${app.guid}/processes/${type}`)).body as Process;
        const { type: processType, command, instances, memory_in_mb, disk_in_mb, health_check } = process;
        return { processType, command, instances, memory_in_mb, disk_in_mb, health_check };
      }),
    );
    return {
      name: app.name,
      state: app.state,
      lifecycle: app.lifecycle,
      env: (env.body as { var: Record<string, string> }).var,
      processes: details,
    };
  }

  it('applies an app manifest back to a fresh space as the same app, with the same manifest, and diffs it as no change', async () => {
    const name = uniqueName('rt').replaceAll('_', '-').toLowerCase();
    await applyIn(source, {
      applications: [
        {
          name,
          env: { GREETING: 'hello', PORT: '8080' },
          buildpacks: ['nodejs_buildpack', 'binary_buildpack'],
          stack: 'cflinuxfs4',
          memory: '256M',
          instances: 2,
          command: 'node server.js',
          'health-check-type': 'http',
          'health-check-http-endpoint': '/health',
          'health-check-invocation-timeout': 5,
          timeout: 45,
          processes: [{ type: 'worker', command: 'node worker.js', instances: 1, disk_quota: '2G', 'health-check-type': 'process' }],
        },
      ],
    });
    const original = await appIn(source, name);
    const { text, manifest } = await manifestOf(original);

    const diff = await postManifest(cf, source.guid, text, { action: 'manifest_diff' });
    expect(diff.status, diff.text).to.equal(202);
    expect((diff.body as Diff).diff).to.deep.equal([]);

    await applyIn(target, text);
    const copy = await appIn(target, name);
    expect(await stateOf(copy)).to.deep.equal(await stateOf(original));
    expect((await manifestOf(copy)).manifest).to.deep.equal(manifest);
  });

  it('carries routes over once the original has given them up', async () => {
    const name = uniqueName('rt').replaceAll('_', '-').toLowerCase();
    const host = `${name}-web`;
    await applyIn(source, {
      applications: [{ name, routes: [{ route: `${host}.${domainName}` }, { route: `${host}.${domainName}/api` }] }],
    });
    const original = await appIn(source, name);
    const { text, manifest } = await manifestOf(original);
    await cf.deleteAndWait(`/v3/apps/${original.guid}`, 'app.delete', original.guid);
    await cf.deleteAndWait(`/v3/spaces/${source.guid}/routes?unmapped=true`, 'space.delete_unmapped_routes', source.guid);

    await applyIn(target, text);
    expect((await manifestOf(await appIn(target, name))).manifest).to.deep.equal(manifest);
  });
});
