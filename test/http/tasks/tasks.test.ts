import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { eventually } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfClient, CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';
import { findStored, timestampPattern, uuidPattern } from '../tenancy/store-lookups.ts';
import { appWithDroplet, createApp, getTask, runTask, unknownGuid, waitForState, type App, type Task } from './task-fixtures.ts';

const taskNotFound = cfError.notFound('Task');
const appNotFound = cfError.notFound('App');
const noDroplet = cfError.unprocessable('Task must have a droplet. Assign current droplet to app.');
const cannotCancel = (state: string) => cfError.unprocessable(`Task state is ${state} and therefore cannot be canceled`);

async function list(cf: CfClient, path: string, as?: CfUser): Promise<Task[]> {
  const response = await cf.get(path, as?.headers);
  expect(response.status, response.text).to.equal(200);
  return (response.body as ListOf<Task>).resources;
}
const guidsOf = (tasks: Task[]) => tasks.map((task) => task.guid).sort();

forEachBackend(
  'tasks',
  (cf) => {
    let org: Organization;
    let space: Space;
    before(async () => {
      org = await cf.createOrg();
      space = await cf.createSpace(org.guid);
    });

    describe('POST /v3/apps/:guid/tasks', () => {
      it('creates a task from the current droplet, stored as Korifi stores it, numbered per app from 1', async () => {
        const { app, dropletGuid } = await appWithDroplet(cf, space.guid, { SCRIPTED_TASK: 'hang' });
        const task = await runTask(cf, app.guid, {
          command: 'rake db:migrate',
          metadata: { labels: { purpose: 'migration' }, annotations: { note: 'x' } },
        });
        expect(task.guid).to.match(uuidPattern);
        expect(task.created_at).to.match(timestampPattern);
        const self = cf.url(`/v3/tasks/${task.guid}`);
        expect(task).to.deep.include({
          sequence_id: 1,
          name: task.guid.slice(0, 8),
          command: 'rake db:migrate',
          memory_in_mb: 1024,
          disk_in_mb: 1024,
          log_rate_limit_in_bytes_per_second: -1,
          result: { failure_reason: null },
          droplet_guid: dropletGuid,
          relationships: { app: { data: { guid: app.guid } } },
          metadata: { labels: { purpose: 'migration' }, annotations: { note: 'x' } },
        });
        expect(['PENDING', 'RUNNING']).to.include(task.state);
        expect(task.links).to.deep.equal({
          self: { href: self },
          app: { href: cf.url(`/v3/apps/${app.guid}`) },
          cancel: { href: `${self}/actions/cancel`, method: 'POST' },
          droplet: { href: cf.url(`/v3/droplets/${dropletGuid}`) },
        });

        // The status-derived label follows the status write with a write of its own (Korifi's webhook makes it one write).
        const stored = await eventually(async () => {
          const found = await findStored(cf.server, { kind: 'CFTask', namespace: space.guid, name: task.guid });
          expect(found?.metadata.labels?.['korifi.cloudfoundry.org/task-sequence-id']).to.equal('1');
          return found;
        });
        expect(stored?.spec).to.deep.equal({ command: 'rake db:migrate', appRef: { name: app.guid } });
        expect(stored?.status).to.deep.include({ sequenceId: 1, memoryMB: 1024, diskQuotaMB: 1024, dropletRef: { name: dropletGuid } });
        expect(stored?.metadata.labels).to.deep.include({
          'korifi.cloudfoundry.org/guid': task.guid,
          'korifi.cloudfoundry.org/space-guid': space.guid,
          'korifi.cloudfoundry.org/app-guid': app.guid,
          'korifi.cloudfoundry.org/task-sequence-id': '1',
          purpose: 'migration',
        });
        const storedApp = await findStored(cf.server, { kind: 'CFApp', namespace: space.guid, name: app.guid });
        expect(stored?.metadata.ownerReferences?.map((owner) => [owner.kind, owner.name, owner.uid])).to.deep.equal([
          ['CFApp', app.guid, storedApp?.metadata.uid],
        ]);

        const second = await runTask(cf, app.guid, { command: 'echo hi', name: 'greet', memory_in_mb: 256, disk_in_mb: 512 });
        expect(second).to.deep.include({ sequence_id: 2, name: 'greet', command: 'echo hi', memory_in_mb: 256, disk_in_mb: 512 });
        const other = await appWithDroplet(cf, space.guid, { SCRIPTED_TASK: 'hang' });
        expect((await runTask(cf, other.app.guid)).sequence_id).to.equal(1);
      });

      it('numbers tasks created at the same time apart', async () => {
        const { app } = await appWithDroplet(cf, space.guid);
        const tasks = await Promise.all([1, 2, 3, 4, 5].map(() => runTask(cf, app.guid, { command: 'true' })));
        expect(tasks.map((task) => task.sequence_id).sort()).to.deep.equal([1, 2, 3, 4, 5]);
      });

      it('takes the command and sizes from a template process of the app, unless the request gives them', async () => {
        const { app } = await appWithDroplet(cf, space.guid, { SCRIPTED_TASK: 'hang' });
        const processGuid = await writeProcess(cf, app, 'rake jobs:work', { memoryMB: 256, diskQuotaMB: 2048 });
        const fromTemplate = await runTask(cf, app.guid, { template: { process: { guid: processGuid } } });
        expect(fromTemplate).to.deep.include({ command: 'rake jobs:work', memory_in_mb: 256, disk_in_mb: 2048 });
        const overridden = await runTask(cf, app.guid, {
          command: 'other',
          memory_in_mb: 64,
          template: { process: { guid: processGuid } },
        });
        expect(overridden).to.deep.include({ command: 'other', memory_in_mb: 64, disk_in_mb: 2048 });

        const foreign = await appWithDroplet(cf, space.guid);
        const response = await cf.post(`/v3/apps/${foreign.app.guid}/tasks`, { template: { process: { guid: processGuid } } });
        expectCfError(
          response,
          cfError.unprocessable('Template process not found. Ensure it exists, belongs to the app and you have access to it.'),
        );
        const unknown = await cf.post(`/v3/apps/${app.guid}/tasks`, { template: { process: { guid: unknownGuid } } });
        expect(unknown.status, unknown.text).to.equal(422);
      });

      it('refuses an app without a droplet (422), an unknown app (404) and bodies without a command (422)', async () => {
        const bare = await createApp(cf, space.guid);
        expectCfError(await cf.post(`/v3/apps/${bare.guid}/tasks`, { command: 'true' }), noDroplet);
        expectCfError(await cf.post(`/v3/apps/${unknownGuid}/tasks`, { command: 'true' }), appNotFound);
        const { app } = await appWithDroplet(cf, space.guid);
        for (const body of [{}, { name: 'x' }, { command: '' }, { command: 'x', memory_in_mb: 0 }, { command: 'x', surprise: 1 }]) {
          const response = await cf.post(`/v3/apps/${app.guid}/tasks`, body);
          expect(response.status, `${JSON.stringify(body)}: ${response.text}`).to.equal(422);
        }
        const tasks = await cf.server.store.privileged().list('CFTask', { namespace: space.guid });
        expect(tasks.items.filter((task) => task.spec.appRef?.name === app.guid)).to.deep.equal([]);
      });
    });

    describe('running', () => {
      it('runs a task to SUCCEEDED', async () => {
        const { app } = await appWithDroplet(cf, space.guid, { SCRIPTED_TASK_MS: '300' });
        const task = await runTask(cf, app.guid);
        const done = await waitForState(cf, task.guid, 'SUCCEEDED');
        expect(done.result).to.deep.equal({ failure_reason: null });
        const stored = await findStored(cf.server, { kind: 'CFTask', namespace: space.guid, name: task.guid });
        const statuses = Object.fromEntries((stored?.status?.conditions ?? []).map((condition) => [condition.type, condition.status]));
        expect(statuses).to.deep.include({ Initialized: 'True', Started: 'True', Succeeded: 'True' });
      });

      it('shows RUNNING while the task runs', async () => {
        const { app } = await appWithDroplet(cf, space.guid, { SCRIPTED_TASK: 'hang' });
        const task = await runTask(cf, app.guid);
        await waitForState(cf, task.guid, 'RUNNING');
      });

      it('reports a failing task as FAILED with its reason', async () => {
        const { app } = await appWithDroplet(cf, space.guid, { SCRIPTED_TASK: 'fail:exit status 3' });
        const task = await runTask(cf, app.guid);
        const failed = await waitForState(cf, task.guid, 'FAILED');
        expect(failed.result).to.deep.equal({ failure_reason: 'exit status 3' });
      });
    });

    describe('cancelling', () => {
      for (const [method, suffix] of [
        ['POST', 'actions/cancel'],
        ['PUT', 'cancel'],
      ] as const) {
        it(`${method} /v3/tasks/:guid/${suffix} stops a running task: 202, CANCELING, then FAILED`, async () => {
          const { app } = await appWithDroplet(cf, space.guid, { SCRIPTED_TASK: 'hang' });
          const task = await runTask(cf, app.guid);
          await waitForState(cf, task.guid, 'RUNNING');
          const response = await cf.send(method, `/v3/tasks/${task.guid}/${suffix}`);
          expect(response.status, response.text).to.equal(202);
          const canceling = response.body as Task;
          expect(canceling.guid).to.equal(task.guid);
          expect(['CANCELING', 'FAILED']).to.include(canceling.state);
          const failed = await waitForState(cf, task.guid, 'FAILED');
          expect(failed.result).to.deep.equal({ failure_reason: 'task was cancelled' });
          const stored = await findStored(cf.server, { kind: 'CFTask', namespace: space.guid, name: task.guid });
          expect(stored?.spec.canceled).to.equal(true);
          const failedCondition = stored?.status?.conditions?.find((condition) => condition.type === 'Failed');
          expect(failedCondition).to.deep.include({ status: 'True', reason: 'TaskCanceled' });
          expectCfError(await cf.send(method, `/v3/tasks/${task.guid}/${suffix}`), cannotCancel('FAILED'));
        });
      }

      it('refuses to cancel a finished task (422) and an unknown one (404)', async () => {
        const { app } = await appWithDroplet(cf, space.guid);
        const task = await runTask(cf, app.guid);
        await waitForState(cf, task.guid, 'SUCCEEDED');
        expectCfError(await cf.post(`/v3/tasks/${task.guid}/actions/cancel`, undefined), cannotCancel('SUCCEEDED'));
        expectCfError(await cf.send('PUT', `/v3/tasks/${task.guid}/cancel`), cannotCancel('SUCCEEDED'));
        expect((await getTask(cf, task.guid)).state).to.equal('SUCCEEDED');
        expectCfError(await cf.post(`/v3/tasks/${unknownGuid}/actions/cancel`, undefined), taskNotFound);
        expectCfError(await cf.send('PUT', `/v3/tasks/${unknownGuid}/cancel`), taskNotFound);
      });
    });

    describe('reading and updating', () => {
      let app: App;
      let other: App;
      let first: Task;
      let second: Task;
      let elsewhere: Task;
      before(async () => {
        app = (await appWithDroplet(cf, space.guid, { SCRIPTED_TASK: 'hang' })).app;
        other = (await appWithDroplet(cf, space.guid)).app;
        first = await runTask(cf, app.guid, { command: 'one', name: 'first', metadata: { labels: { kind: 'a' } } });
        second = await runTask(cf, app.guid, { command: 'two', name: 'second', metadata: { labels: { kind: 'b' } } });
        elsewhere = await runTask(cf, other.guid, { command: 'three', name: 'first' });
        await waitForState(cf, elsewhere.guid, 'SUCCEEDED');
      });

      it('GET /v3/tasks/:guid answers the task; 404 for an unknown one', async () => {
        const task = await getTask(cf, first.guid);
        expect(task).to.deep.include({ guid: first.guid, name: 'first', command: 'one', sequence_id: 1 });
        expectCfError(await cf.get(`/v3/tasks/${unknownGuid}`), taskNotFound);
      });

      it('GET /v3/apps/:guid/tasks lists the app tasks, filtered by sequence_ids, states, names and labels', async () => {
        expect(guidsOf(await list(cf, `/v3/apps/${app.guid}/tasks?per_page=5000`))).to.deep.equal(guidsOf([first, second]));
        expect(guidsOf(await list(cf, `/v3/apps/${app.guid}/tasks?page=1&per_page=1&sequence_ids=2`))).to.deep.equal([second.guid]);
        expect(guidsOf(await list(cf, `/v3/apps/${app.guid}/tasks?sequence_ids=1,2`))).to.deep.equal(guidsOf([first, second]));
        expect(await list(cf, `/v3/apps/${app.guid}/tasks?sequence_ids=3`)).to.deep.equal([]);
        expect(guidsOf(await list(cf, `/v3/apps/${other.guid}/tasks?sequence_ids=1`))).to.deep.equal([elsewhere.guid]);
        expect(guidsOf(await list(cf, `/v3/apps/${other.guid}/tasks?states=SUCCEEDED`))).to.deep.equal([elsewhere.guid]);
        expect(await list(cf, `/v3/apps/${app.guid}/tasks?states=SUCCEEDED`)).to.deep.equal([]);
        expect(guidsOf(await list(cf, `/v3/apps/${app.guid}/tasks?names=second`))).to.deep.equal([second.guid]);
        expect(guidsOf(await list(cf, `/v3/apps/${app.guid}/tasks?label_selector=kind%3Da`))).to.deep.equal([first.guid]);
        const ordered = await list(cf, `/v3/apps/${app.guid}/tasks?order_by=-created_at`);
        expect(ordered).to.have.length(2);
        for (const query of ['sequence_ids=abc', 'sequence_ids=0', 'sequence_ids=1.5', 'states=DONE', 'order_by=sequence_id']) {
          const response = await cf.get(`/v3/apps/${app.guid}/tasks?${query}`);
          expect(response.status, `${query}: ${response.text}`).to.equal(422);
        }
        expect((await cf.get(`/v3/apps/${app.guid}/tasks?app_guids=${app.guid}`)).status).to.equal(400);
        expectCfError(await cf.get(`/v3/apps/${unknownGuid}/tasks`), appNotFound);
      });

      it('GET /v3/tasks lists every visible task, filtered by app, space, org, guid, name, state and labels', async () => {
        const all = guidsOf(await list(cf, '/v3/tasks?per_page=5000'));
        expect(all).to.include.members([first.guid, second.guid, elsewhere.guid]);
        expect(guidsOf(await list(cf, `/v3/tasks?app_guids=${app.guid}`))).to.deep.equal(guidsOf([first, second]));
        expect(guidsOf(await list(cf, `/v3/tasks?app_guids=${app.guid},${other.guid}&names=first`))).to.deep.equal(
          guidsOf([first, elsewhere]),
        );
        expect(guidsOf(await list(cf, `/v3/tasks?space_guids=${space.guid}&states=SUCCEEDED&app_guids=${other.guid}`))).to.deep.equal([
          elsewhere.guid,
        ]);
        expect(guidsOf(await list(cf, `/v3/tasks?organization_guids=${org.guid}&guids=${second.guid}`))).to.deep.equal([second.guid]);
        expect(guidsOf(await list(cf, `/v3/tasks?label_selector=kind&space_guids=${space.guid}`))).to.deep.equal(guidsOf([first, second]));
        expect(await list(cf, `/v3/tasks?space_guids=${unknownGuid}`)).to.deep.equal([]);
      });

      it('PATCH /v3/tasks/:guid changes labels and annotations only', async () => {
        const response = await cf.patch(`/v3/tasks/${second.guid}`, {
          metadata: { labels: { kind: null, team: 'x' }, annotations: { note: 'y' } },
        });
        expect(response.status, response.text).to.equal(200);
        const updated = response.body as Task;
        expect(updated.metadata).to.deep.equal({ labels: { team: 'x' }, annotations: { note: 'y' } });
        expect(updated).to.deep.include({ sequence_id: 2, name: 'second', command: 'two' });
        expect((await getTask(cf, second.guid)).metadata.labels).to.deep.equal({ team: 'x' });
        for (const body of [{ command: 'other' }, { metadata: { labels: { 'korifi.cloudfoundry.org/app-guid': 'x' } } }]) {
          const refused = await cf.patch(`/v3/tasks/${second.guid}`, body);
          expect(refused.status, `${JSON.stringify(body)}: ${refused.text}`).to.equal(422);
        }
        expectCfError(await cf.patch(`/v3/tasks/${unknownGuid}`, { metadata: { labels: { a: 'b' } } }), taskNotFound);
      });

      it('hides a task until its controller has initialized it (no droplet yet: never)', async () => {
        const bare = await createApp(cf, space.guid);
        const guid = randomUUID();
        await cf.server.store.privileged().create({
          kind: 'CFTask',
          metadata: { name: guid, namespace: space.guid },
          spec: { command: 'x', appRef: { name: bare.guid } },
        });
        expectCfError(await cf.get(`/v3/tasks/${guid}`), taskNotFound);
        expect(await list(cf, `/v3/apps/${bare.guid}/tasks`)).to.deep.equal([]);
        expect(guidsOf(await list(cf, `/v3/tasks?guids=${guid}`))).to.deep.equal([]);
      });
    });

    describe('sequence IDs beyond 2^53 (Korifi numbers tasks by time)', () => {
      it('presents and filters them digit for digit, from the label Korifi writes', async () => {
        const { app, dropletGuid } = await appWithDroplet(cf, space.guid, { SCRIPTED_TASK: 'hang' });
        const korifiId = '20261205172327123';
        const neighbour = '20261205172327124'; // the same double as korifiId
        expect(Number(korifiId)).to.equal(Number(neighbour));
        const guid = await writeKorifiTask(cf, app, dropletGuid, korifiId);
        const response = await cf.get(`/v3/tasks/${guid}`);
        expect(response.status, response.text).to.equal(200);
        expect(response.text).to.contain(`"sequence_id":${korifiId},`);
        expect(guidsOf(await list(cf, `/v3/apps/${app.guid}/tasks?sequence_ids=${korifiId}`))).to.deep.equal([guid]);
        expect(await list(cf, `/v3/apps/${app.guid}/tasks?sequence_ids=${neighbour}`)).to.deep.equal([]);
        const listed = await cf.get(`/v3/apps/${app.guid}/tasks`);
        expect(listed.text).to.contain(`"sequence_id":${korifiId},`);

        const patched = await cf.patch(`/v3/tasks/${guid}`, { metadata: { labels: { touched: 'yes' } } });
        expect(patched.status, patched.text).to.equal(200);
        expect(patched.text).to.contain(`"sequence_id":${korifiId},`);
        const stored = await findStored(cf.server, { kind: 'CFTask', namespace: space.guid, name: guid });
        expect(stored?.metadata.labels?.['korifi.cloudfoundry.org/task-sequence-id']).to.equal(korifiId);
        // The app's own numbering goes on from 1: Korifi's numbers are not counted.
        expect((await runTask(cf, app.guid)).sequence_id).to.equal(1);
      });
    });

    describe('visibility', () => {
      let app: App;
      let task: Task;
      let auditor: CfUser;
      let manager: CfUser;
      let outsider: CfUser;
      before(async () => {
        app = (await appWithDroplet(cf, space.guid, { SCRIPTED_TASK: 'hang' })).app;
        task = await runTask(cf, app.guid);
        auditor = await cf.newUser('auditor');
        manager = await cf.newUser('manager');
        outsider = await cf.newUser('outsider');
        const otherSpace = await cf.createSpace(org.guid);
        for (const [user, role, target] of [
          [auditor, 'space_auditor', space.guid],
          [manager, 'space_manager', space.guid],
          [outsider, 'space_developer', otherSpace.guid],
        ] as const) {
          await cf.grant(user.name, 'organization_user', { organization: org.guid });
          await cf.grant(user.name, role, { space: target });
        }
        // The outsider's own task is listed once their role has reached the authorizer.
        const theirs = await runTask(cf, (await appWithDroplet(cf, otherSpace.guid)).app.guid);
        await eventually(async () => {
          expect(guidsOf(await list(cf, '/v3/tasks', outsider))).to.deep.equal([theirs.guid]);
        });
      });

      it('a space auditor sees no tasks (Korifi gives the role none) but sees the app', async () => {
        await eventually(async () => {
          const apps = await cf.get(`/v3/apps/${app.guid}`, auditor.headers);
          expect(apps.status, apps.text).to.equal(200);
        });
        expect(await list(cf, '/v3/tasks', auditor)).to.deep.equal([]);
        expect(await list(cf, `/v3/apps/${app.guid}/tasks`, auditor)).to.deep.equal([]);
        expectCfError(await cf.get(`/v3/tasks/${task.guid}`, auditor.headers), taskNotFound);
        expectCfError(await cf.post(`/v3/apps/${app.guid}/tasks`, { command: 'x' }, auditor.headers), cfError.notAuthorized());
      });

      it('a space manager sees the tasks but may not run, update or cancel them (403)', async () => {
        await eventually(async () => {
          expect(guidsOf(await list(cf, `/v3/tasks?app_guids=${app.guid}`, manager))).to.deep.equal([task.guid]);
        });
        expect((await cf.get(`/v3/tasks/${task.guid}`, manager.headers)).status).to.equal(200);
        expectCfError(await cf.post(`/v3/apps/${app.guid}/tasks`, { command: 'x' }, manager.headers), cfError.notAuthorized());
        expectCfError(
          await cf.patch(`/v3/tasks/${task.guid}`, { metadata: { labels: { a: 'b' } } }, manager.headers),
          cfError.notAuthorized(),
        );
        expectCfError(await cf.send('POST', `/v3/tasks/${task.guid}/actions/cancel`, { as: manager.headers }), cfError.notAuthorized());
        expect((await getTask(cf, task.guid)).state).to.not.equal('CANCELING');
      });

      it('a developer of another space sees none of them (404, empty lists) and may not touch them', async () => {
        const response = await cf.get('/v3/tasks?per_page=5000', outsider.headers);
        expect(response.status, response.text).to.equal(200);
        expect(guidsOf((response.body as ListOf<Task>).resources)).to.not.include(task.guid);
        expectCfError(await cf.get(`/v3/tasks/${task.guid}`, outsider.headers), taskNotFound);
        expectCfError(await cf.get(`/v3/apps/${app.guid}/tasks`, outsider.headers), appNotFound);
        expectCfError(await cf.post(`/v3/apps/${app.guid}/tasks`, { command: 'x' }, outsider.headers), appNotFound);
        expectCfError(await cf.send('PUT', `/v3/tasks/${task.guid}/cancel`, { as: outsider.headers }), taskNotFound);
        expectCfError(await cf.patch(`/v3/tasks/${task.guid}`, { metadata: { labels: { a: 'b' } } }, outsider.headers), taskNotFound);
      });
    });
  },
  { config: { appRuntime: 'scripted' } },
);

/** A CFProcess of the app, written as the server (the template of a task). */
async function writeProcess(cf: CfClient, app: App, command: string, sizes: { memoryMB: number; diskQuotaMB: number }): Promise<string> {
  const guid = randomUUID();
  await cf.server.store.privileged().create({
    kind: 'CFProcess',
    metadata: { name: guid, namespace: app.relationships.space.data.guid },
    spec: {
      appRef: { name: app.guid },
      processType: `task-${guid.slice(0, 8)}`,
      command,
      healthCheck: { type: 'process', data: { invocationTimeoutSeconds: 0, timeoutSeconds: 0 } },
      desiredInstances: 0,
      ...sizes,
    },
  });
  return guid;
}

/**
 * A task as Korifi's controller and webhook leave it: initialized, numbered by time; the exact number is
 * in the label (the status number, read back here, may be off in its last digits).
 */
async function writeKorifiTask(cf: CfClient, app: App, dropletGuid: string, sequenceId: string): Promise<string> {
  const session = cf.server.store.privileged();
  const namespace = app.relationships.space.data.guid;
  const guid = randomUUID();
  const ref = { kind: 'CFTask' as const, namespace, name: guid };
  await session.create({ kind: 'CFTask', metadata: { name: guid, namespace }, spec: { command: 'korifi', appRef: { name: app.guid } } });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  // Only Initialized and Canceled-free: this server's controller then starts it, which changes nothing here.
  await eventually(async () => {
    const current = await session.get(ref);
    await session.patchStatus(
      ref,
      {
        sequenceId: Number(sequenceId),
        memoryMB: 1024,
        diskQuotaMB: 1024,
        dropletRef: { name: dropletGuid },
        conditions: [{ type: 'Initialized', status: 'True', reason: 'TaskInitialized', message: '', lastTransitionTime: now }],
      },
      { resourceVersion: current.metadata.resourceVersion! },
    );
  });
  await session.patch(ref, { metadata: { labels: { 'korifi.cloudfoundry.org/task-sequence-id': sequenceId } } });
  return guid;
}
