import { expect } from 'chai';
import { eventually } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { Organization, Space } from '../tenancy/resources.ts';
import { appWithProcesses, createApp, stats, statesOf, storedApp, storedProcess, type App } from './process-fixtures.ts';

const unknownGuid = '00000000-0000-4000-8000-000000000000';
const appRev = 'korifi.cloudfoundry.org/app-rev';
const lastStopRev = 'korifi.cloudfoundry.org/last-stop-app-rev';

forEachBackend(
  'app start, stop, restart and process instances',
  (cf) => {
    let space: Space;
    let org: Organization;
    let auditor: CfUser;
    before(async () => {
      org = await cf.createOrg();
      space = await cf.createSpace(org.guid);
      auditor = await cf.newUser('auditor');
      await cf.grant(auditor.name, 'organization_user', { organization: org.guid });
      await cf.grant(auditor.name, 'space_auditor', { space: space.guid });
    });

    const action = async (app: App, name: 'start' | 'stop' | 'restart') => {
      const response = await cf.post(`/v3/apps/${app.guid}/actions/${name}`, undefined);
      expect(response.status, response.text).to.equal(200);
      return response.body as App;
    };

    it('refuses to start an app without a droplet, and an app the caller cannot see or change', async () => {
      const app = await createApp(cf, space.guid);
      for (const name of ['start', 'restart']) {
        expectCfError(
          await cf.post(`/v3/apps/${app.guid}/actions/${name}`, undefined),
          cfError.unprocessable('Assign a droplet before starting this app.'),
        );
      }
      expect((await storedApp(cf, app)).spec.desiredState).to.equal('STOPPED');
      expectCfError(await cf.post(`/v3/apps/${unknownGuid}/actions/start`, undefined), cfError.notFound('App'));
      const { app: staged } = await appWithProcesses(cf, space.guid);
      expectCfError(await cf.post(`/v3/apps/${staged.guid}/actions/start`, undefined, auditor.headers), cfError.notAuthorized());
      expectCfError(await cf.post(`/v3/apps/${staged.guid}/actions/stop`, undefined, auditor.headers), cfError.notAuthorized());
    });

    it('lets a space supporter start, scale and stop an app (it may patch apps but not watch them)', async () => {
      const supporter = await cf.newUser('supporter');
      await cf.grant(supporter.name, 'organization_user', { organization: org.guid });
      await cf.grant(supporter.name, 'space_supporter', { space: space.guid });
      const { app, processes } = await appWithProcesses(cf, space.guid);
      const started = await cf.post(`/v3/apps/${app.guid}/actions/start`, undefined, supporter.headers);
      expect(started.status, started.text).to.equal(200);
      expect((started.body as App).state).to.equal('STARTED');
      const scaled = await cf.post(`/v3/apps/${app.guid}/processes/web/actions/scale`, { instances: 2 }, supporter.headers);
      expect(scaled.status, scaled.text).to.equal(200);
      await eventually(async () => expect(await statesOf(cf, processes[0]!.guid)).to.deep.equal(['RUNNING', 'RUNNING']));
      const stopped = await cf.post(`/v3/apps/${app.guid}/actions/stop`, undefined, supporter.headers);
      expect(stopped.status, stopped.text).to.equal(200);
      expect((stopped.body as App).state).to.equal('STOPPED');
    });

    it('starts an app once its instances exist, reports them RUNNING, and stops it again', async () => {
      const { app, processes } = await appWithProcesses(cf, space.guid, { processTypes: [{ type: 'worker', command: 'work' }] });
      const web = processes.find((process) => process.type === 'web')!;
      const worker = processes.find((process) => process.type === 'worker')!;
      expect(await stats(cf, web.guid)).to.deep.equal([
        { type: 'web', index: 0, state: 'DOWN', routable: false, uptime: 0, isolation_segment: null, details: null },
      ]);
      const started = await action(app, 'start');
      expect(started.state).to.equal('STARTED');
      const stored = await storedApp(cf, app);
      expect(stored.status?.actualState).to.equal('STARTED');
      const [instance] = await eventually(async () => {
        const entries = await stats(cf, web.guid);
        expect(entries.map((entry) => entry.state)).to.deep.equal(['RUNNING']);
        return entries;
      });
      expect(instance).to.deep.include({
        type: 'web',
        index: 0,
        routable: true,
        host: null,
        instance_ports: [],
        mem_quota: 1024 * 1024 * 1024,
        disk_quota: 1024 * 1024 * 1024,
        log_rate_limit: -1,
        fds_quota: null,
        isolation_segment: null,
        details: null,
      });
      expect(instance!.uptime).to.be.a('number').and.at.least(0);
      // The scripted runtime's measure of each running instance, through the log source (on kubernetes
      // with the cluster's, which has no pods or metrics here): CPU as a fraction, memory and disk in bytes.
      const usage = instance!.state === 'DOWN' ? undefined : instance!.usage;
      expect(usage).to.deep.include({ cpu: 0.01, mem: 32 * 1024 * 1024, disk: 64 * 1024 * 1024 });
      expect((usage as { time: string }).time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(Math.abs(Date.parse((usage as { time: string }).time) - Date.now())).to.be.below(60_000);
      expect(await stats(cf, worker.guid)).to.deep.equal([]);
      const byType = await cf.get(`/v3/apps/${app.guid}/processes/web/stats`);
      expect(byType.status, byType.text).to.equal(200);
      expectCfError(await cf.get(`/v3/apps/${app.guid}/processes/nope/stats`), cfError.notFound('Process'));
      expectCfError(await cf.get(`/v3/processes/${unknownGuid}/stats`), cfError.notFound('Process'));
      const again = await action(app, 'start');
      expect(again.state).to.equal('STARTED');

      const stopped = await action(app, 'stop');
      expect(stopped.state).to.equal('STOPPED');
      expect((await storedApp(cf, app)).status?.actualState).to.equal('STOPPED');
      expect(await statesOf(cf, web.guid)).to.deep.equal(['DOWN']);
      const cfProcess = await storedProcess(cf, web, space.guid);
      expect(cfProcess.status?.actualInstances).to.equal(0);
    });

    it('bumps app-rev on every stop of a started app, as Korifi does, so that a restart starts instances afresh', async () => {
      const { app, processes } = await appWithProcesses(cf, space.guid);
      const web = processes[0]!;
      expect((await storedApp(cf, app)).metadata.annotations?.[appRev]).to.equal('0');
      await action(app, 'stop');
      expect((await storedApp(cf, app)).metadata.annotations?.[appRev], 'stopping a stopped app').to.equal('0');
      await action(app, 'start');
      await eventually(async () => expect(await statesOf(cf, web.guid)).to.deep.equal(['RUNNING']));
      const before = (await storedProcess(cf, web, space.guid)).status?.instancesStatus?.['0']?.timestamp;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const restarted = await action(app, 'restart');
      expect(restarted.state).to.equal('STARTED');
      const stored = await storedApp(cf, app);
      expect(stored.metadata.annotations).to.deep.include({ [appRev]: '1', [lastStopRev]: '1' });
      expect(stored.status?.actualState).to.equal('STARTED');
      await eventually(async () => {
        const instance = (await storedProcess(cf, web, space.guid)).status?.instancesStatus?.['0'];
        expect(instance?.state).to.equal('RUNNING');
        expect(instance?.timestamp).to.not.equal(before);
      });
      await action(app, 'stop');
      expect((await storedApp(cf, app)).metadata.annotations).to.deep.include({ [appRev]: '2', [lastStopRev]: '2' });
    });

    it('scales a started app up and down, and starts at once an app that wants no instances', async () => {
      const { app, processes } = await appWithProcesses(cf, space.guid);
      const web = processes[0]!;
      await action(app, 'start');
      const scaled = await cf.post(`/v3/apps/${app.guid}/processes/web/actions/scale`, { instances: 3 });
      expect(scaled.status, scaled.text).to.equal(200);
      await eventually(async () => expect(await statesOf(cf, web.guid)).to.deep.equal(['RUNNING', 'RUNNING', 'RUNNING']));
      await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: 1 });
      await eventually(async () => {
        expect(await statesOf(cf, web.guid)).to.deep.equal(['RUNNING']);
        expect((await storedProcess(cf, web, space.guid)).status?.actualInstances).to.equal(1);
      });
      await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: 0 });
      await eventually(async () => expect((await storedApp(cf, app)).status?.actualState).to.equal('STARTED'));
      expect(await statesOf(cf, web.guid)).to.deep.equal([]);
      await action(app, 'stop');
      expect((await action(app, 'start')).state).to.equal('STARTED');
    });

    it('reports crashing instances CRASHED and slow ones STARTING, then RUNNING; both count as started', async () => {
      const crashing = await appWithProcesses(cf, space.guid, { env: { SCRIPTED_INSTANCES: 'crash' } });
      expect((await action(crashing.app, 'start')).state).to.equal('STARTED');
      await eventually(async () => expect(await statesOf(cf, crashing.processes[0]!.guid)).to.deep.equal(['CRASHED']));
      const [crashed] = await stats(cf, crashing.processes[0]!.guid);
      expect(crashed).to.deep.include({ state: 'CRASHED', routable: false, uptime: null });

      const slow = await appWithProcesses(cf, space.guid, { env: { SCRIPTED_INSTANCES: 'slow:4000' } });
      expect((await action(slow.app, 'start')).state).to.equal('STARTED');
      expect(await statesOf(cf, slow.processes[0]!.guid)).to.deep.equal(['STARTING']);
      await eventually(async () => expect(await statesOf(cf, slow.processes[0]!.guid)).to.deep.equal(['RUNNING']));
    });

    it("restarts single instances, refusing Korifi's bad indexes", async () => {
      const { app, processes } = await appWithProcesses(cf, space.guid);
      const web = processes[0]!;
      await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: 2 });
      await action(app, 'start');
      await eventually(async () => expect(await statesOf(cf, web.guid)).to.deep.equal(['RUNNING', 'RUNNING']));
      const invalid = cfError.unprocessable('Invalid Instance ID. Instance ID is not a valid Integer.');
      expectCfError(await cf.delete(`/v3/processes/${web.guid}/instances/abc`), invalid);
      expectCfError(await cf.delete(`/v3/apps/${app.guid}/processes/web/instances/1.5`), invalid);
      expectCfError(await cf.delete(`/v3/processes/${web.guid}/instances/2`), cfError.notFound('Instance 2 of process web'));
      expectCfError(await cf.delete(`/v3/apps/${app.guid}/processes/web/instances/-1`), cfError.notFound('Instance -1 of process web'));
      expectCfError(await cf.delete(`/v3/apps/${app.guid}/processes/worker/instances/0`), cfError.notFound('Process'));
      expectCfError(await cf.delete(`/v3/apps/${unknownGuid}/processes/web/instances/0`), cfError.notFound('App'));
      expectCfError(await cf.delete(`/v3/processes/${web.guid}/instances/0`, auditor.headers), cfError.notFound('Process'));

      const before = (await storedProcess(cf, web, space.guid)).status?.instancesStatus;
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const response = await cf.delete(`/v3/apps/${app.guid}/processes/web/instances/1`);
      expect(response.status, response.text).to.equal(204);
      await eventually(async () => {
        const cfProcess = await storedProcess(cf, web, space.guid);
        expect(Object.keys(cfProcess.metadata.annotations ?? {}).filter((key) => key.includes('restart-instance'))).to.deep.equal([]);
        const after = cfProcess.status?.instancesStatus;
        expect(after?.['1']?.timestamp).to.not.equal(before?.['1']?.timestamp);
        expect(after?.['0']?.timestamp).to.equal(before?.['0']?.timestamp);
      });
      expect((await cf.delete(`/v3/processes/${web.guid}/instances/0`)).status).to.equal(204);
    });

    it('ends consistent when starts, stops and scales of one app race', async () => {
      const { app, processes } = await appWithProcesses(cf, space.guid);
      const web = processes[0]!;
      const requests = [];
      for (let round = 0; round < 3; round++) {
        requests.push(
          cf.post(`/v3/apps/${app.guid}/actions/start`, undefined),
          cf.post(`/v3/apps/${app.guid}/actions/stop`, undefined),
          cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: round + 1 }),
          cf.post(`/v3/apps/${app.guid}/actions/restart`, undefined),
        );
      }
      const responses = await Promise.all(requests);
      for (const response of responses) expect(response.status, response.text).to.equal(200);
      const final = await action(app, 'start');
      expect(final.state).to.equal('STARTED');
      const instances = (await storedProcess(cf, web, space.guid)).spec.desiredInstances ?? 0;
      await eventually(async () => {
        expect(await statesOf(cf, web.guid)).to.deep.equal(Array.from({ length: instances }, () => 'RUNNING'));
        const stored = await storedApp(cf, app);
        expect(stored.status?.actualState).to.equal('STARTED');
        expect(stored.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).to.equal('True');
      });
      const stopped = await action(app, 'stop');
      expect(stopped.state).to.equal('STOPPED');
      expect(await statesOf(cf, web.guid)).to.deep.equal(Array.from({ length: instances }, () => 'DOWN'));
    });
  },
  { config: { appRuntime: 'scripted' } },
);
