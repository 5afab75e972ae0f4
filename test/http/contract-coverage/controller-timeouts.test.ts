import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { newRoleBinding } from '../../../src/domain/roles/role-binding.ts';
import type { Condition } from '../../../src/store/objects.ts';
import { uniqueName } from '../../store/fixture.ts';
import type { TestResponse } from '../../support/test-server.ts';
import { makeZip } from '../../unit/bits/zip-fixtures.ts';
import { upload } from '../packages/package-fixtures.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfClient } from '../tenancy/cf-client.ts';

/**
 * The 503 CF-ServiceUnavailable that operations waiting for a controller declare: on a server without
 * reconcilers (and no Korifi), nothing reports on what they wrote, so each answers 503 once
 * `readyTimeoutSeconds` (1 here) have passed, saying what did not happen. Where a later step needs an
 * object Ready, the test plays the controller through the store, as Korifi's would have written it.
 */

const ready = (generation: number | undefined): Condition => ({
  type: 'Ready',
  status: 'True',
  reason: 'Ready',
  message: '',
  observedGeneration: generation ?? 1,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

function expectUnavailable(response: TestResponse, detail: string | RegExp): void {
  expect(response.status, response.text).to.equal(503);
  const [error, ...more] = (response.body as { errors: { code: number; title: string; detail: string }[] }).errors;
  expect(more).to.deep.equal([]);
  expect({ code: error!.code, title: error!.title }).to.deep.equal({ code: 10015, title: 'CF-ServiceUnavailable' });
  if (typeof detail === 'string') expect(error!.detail).to.equal(detail);
  else expect(error!.detail).to.match(detail);
}

/** Plays Korifi's org or space controller: Ready (with the status GUID), its namespace, and the admin's binding there. */
async function reportReady(cf: CfClient, kind: 'CFOrg' | 'CFSpace', displayName: string): Promise<string> {
  const store = cf.server.store.privileged();
  const object = (await store.list(kind, {})).items.find((item) => item.spec.displayName === displayName);
  if (!object) throw new Error(`no ${kind} named ${displayName} was written`);
  const { name, namespace, generation } = object.metadata;
  await store.patchStatus({ kind, namespace: namespace!, name }, { guid: name, conditions: [ready(generation)] });
  await store.create({ kind: 'Namespace', metadata: { name } });
  await store.create(newRoleBinding('admin', cf.server.admin.name, name));
  return name;
}

forEachBackend(
  'operations that wait for a controller answer 503 when none reports',
  (cf, backend) => {
    const later = 'Check that its controller (Korifi, or this server with reconcilers enabled) is running';
    let org: string;
    let space: string;
    let app: { guid: string; name: string };

    it('createOrganization: the org is written, then 503 when it does not become ready', async () => {
      const name = uniqueName('org');
      expectUnavailable(
        await cf.post('/v3/organizations', { name }),
        `Organization '${name}' was created but did not become ready within 1 seconds. ${later}.`,
      );
      org = await reportReady(cf, 'CFOrg', name);
    });

    it('createSpace: 503 when the space does not become ready', async () => {
      const name = uniqueName('space');
      expectUnavailable(
        await cf.post('/v3/spaces', { name, relationships: { organization: { data: { guid: org } } } }),
        `Space '${name}' was created but did not become ready within 1 seconds. ${later}.`,
      );
      space = await reportReady(cf, 'CFSpace', name);
    });

    it('stopApp: 503 when the app does not reach STOPPED', async () => {
      const created = await cf.post('/v3/apps', { name: uniqueName('app'), relationships: { space: { data: { guid: space } } } });
      expect(created.status, created.text).to.equal(201);
      app = created.body as { guid: string; name: string };
      expectUnavailable(
        await cf.post(`/v3/apps/${app.guid}/actions/stop`, undefined),
        new RegExp(`^App '${app.name}' was set to STOPPED but did not reach that state within 1 seconds`),
      );
    });

    it('createPackage: 503 when the package is not initialized', async () => {
      const response = await cf.post('/v3/packages', { type: 'bits', relationships: { app: { data: { guid: app.guid } } } });
      expectUnavailable(response, /^Package [0-9a-f-]{36} did not become initialized within 1 seconds/);
    });

    // Embedded only: there the bits go to disk; on kubernetes they are pushed to a registry first, which
    // the registry suites (test/kubernetes/registry-*.test.ts) cover with the upload's own errors.
    const onEmbedded = backend === 'embedded' ? it : undefined;
    onEmbedded?.('uploadPackageBits: 503 when the uploaded package does not become ready', async function () {
      const cfPackage = (await cf.server.store.privileged().list('CFPackage', { namespace: space })).items[0];
      expect(cfPackage, 'the package the create wrote').to.not.equal(undefined);
      const guid = cfPackage!.metadata.name;
      const initialized: Condition = { ...ready(cfPackage!.metadata.generation), type: 'Initialized', reason: 'Initialized' };
      await cf.server.store.privileged().patchStatus({ kind: 'CFPackage', namespace: space, name: guid }, { conditions: [initialized] });
      const response = await upload(cf, guid, { resources: '[]', bits: await makeZip([{ path: 'index.html', content: 'hi' }]) });
      expectUnavailable(response, `Package ${guid} did not become ready within 1 seconds. ${later}.`);
    });

    it('restartApp and createTask: 503 when the app and the task get no answer from their controllers', async () => {
      // A staged droplet, as Korifi's build controller would have left it, made the app's current one.
      const store = cf.server.store.privileged();
      const droplet = randomUUID();
      const lifecycle = { type: 'buildpack' as const, data: { buildpacks: [], stack: 'cflinuxfs3' } };
      await store.create({
        kind: 'CFBuild',
        metadata: { name: droplet, namespace: space },
        spec: { packageRef: { name: randomUUID() }, appRef: { name: app.guid }, stagingMemoryMB: 1024, stagingDiskMB: 0, lifecycle },
      });
      await store.patchStatus(
        { kind: 'CFBuild', namespace: space, name: droplet },
        { state: 'STAGED', droplet: { registry: { image: 'img' }, stack: 'cflinuxfs3', processTypes: [{ type: 'web', command: 'run' }] } },
      );
      const assigned = await cf.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: droplet } });
      expect(assigned.status, assigned.text).to.equal(200); // a stopped app: nothing to wait for

      expectUnavailable(
        await cf.post(`/v3/apps/${app.guid}/actions/restart`, undefined),
        new RegExp(`^App '${app.name}' .* within 1 seconds`),
      );
      expectUnavailable(await cf.post(`/v3/apps/${app.guid}/tasks`, { command: 'echo hi' }), /within 1 seconds/);
    });

    it('cancelTask (both paths): 503 when the task controller does not report the cancellation', async () => {
      const task = (await cf.server.store.privileged().list('CFTask', { namespace: space })).items[0];
      expect(task, 'the task the create wrote').to.not.equal(undefined);
      const guid = task!.metadata.name;
      // Korifi's task controller would have initialized it (a sequence number, Initialized); a task not yet initialized is not found.
      const initialized: Condition = { ...ready(task!.metadata.generation), type: 'Initialized', reason: 'Initialized' };
      await cf.server.store
        .privileged()
        .patchStatus({ kind: 'CFTask', namespace: space, name: guid }, { sequenceId: 1, conditions: [initialized] });
      expectUnavailable(await cf.post(`/v3/tasks/${guid}/actions/cancel`, undefined), /within 1 seconds/);
      expectUnavailable(await cf.send('PUT', `/v3/tasks/${guid}/cancel`), /within 1 seconds/);
    });
  },
  { config: { reconcilers: false, readyTimeoutSeconds: 1 } },
);
