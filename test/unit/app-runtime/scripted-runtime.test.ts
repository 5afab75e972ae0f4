import { expect } from 'chai';
import { Readable } from 'node:stream';
import { RecentAppLogs } from '../../../src/app-runtime/app-logs.ts';
import { StagingFailed, type ProcessWorkload, type RuntimeChange } from '../../../src/app-runtime/app-runtime.ts';
import { ScriptedRuntime } from '../../../src/app-runtime/scripted/scripted-runtime.ts';
import { scriptedOutcomes } from '../../../src/app-runtime/scripted/scripted-outcomes.ts';
import { UnavailableRuntime } from '../../../src/app-runtime/unavailable-runtime.ts';
import { eventually } from '../../store/fixture.ts';

const staging = (environment: Record<string, string>) => ({
  buildGuid: 'build-1',
  appGuid: 'app-1',
  spaceGuid: 'space-1',
  source: { type: 'bits' as const, open: async () => Readable.from([Buffer.from('zip')]) },
  buildpacks: [],
  stack: 'cflinuxfs4',
  environment,
  memoryMB: 1024,
  diskMB: 1024,
});

const process = (overrides: Partial<ProcessWorkload> = {}): ProcessWorkload => ({
  processGuid: 'process-1',
  appGuid: 'app-1',
  spaceGuid: 'space-1',
  processType: 'web',
  droplet: { guid: 'build-1', image: 'scripted://droplets/build-1' },
  command: 'scripted-web',
  instances: 2,
  memoryMB: 256,
  diskMB: 1024,
  healthCheck: { type: 'port' },
  ports: [8080],
  environment: {},
  revision: '0',
  ...overrides,
});

describe('scripted app runtime', () => {
  let logs: RecentAppLogs;
  let runtime: ScriptedRuntime;
  beforeEach(() => {
    logs = new RecentAppLogs({ linesPerApp: 100 });
    runtime = new ScriptedRuntime(logs);
  });
  afterEach(() => runtime.close());

  it('reads outcomes from the environment, with defaults for what is unset or malformed', () => {
    expect(scriptedOutcomes({})).to.deep.equal({
      staging: { delayMs: 0 },
      processTypes: { web: 'scripted-web' },
      instances: { crash: false, startingMs: 0 },
      task: { hang: false, runMs: 50 },
    });
    const scripted = scriptedOutcomes({
      SCRIPTED_STAGING: 'fail:no buildpack: detected nothing',
      SCRIPTED_PROCESS_TYPES: 'web=node server.js --port=$PORT; worker = node worker.js',
      SCRIPTED_INSTANCES: 'crash',
      SCRIPTED_TASK: 'hang',
      SCRIPTED_TASK_MS: 'soon',
    });
    expect(scripted.staging.failWith).to.equal('no buildpack: detected nothing');
    expect(scripted.processTypes).to.deep.equal({ web: 'node server.js --port=$PORT', worker: 'node worker.js' });
    expect(scripted.instances.crash).to.equal(true);
    expect(scripted.task).to.deep.equal({ hang: true, runMs: 50 });
  });

  it('stages a droplet with the scripted process types, and logs the staging', async () => {
    const droplet = await runtime.stage(staging({ SCRIPTED_PROCESS_TYPES: 'web=a;worker=b' }), new AbortController().signal);
    expect(droplet.processTypes).to.deep.equal({ web: 'a', worker: 'b' });
    expect(droplet.stack).to.equal('cflinuxfs4');
    expect(logs.read('app-1').map((line) => line.sourceType)).to.deep.equal(['STG', 'STG']);
  });

  it('fails a staging with the scripted message, and stops a slow one when aborted', async () => {
    const failed = await runtime
      .stage(staging({ SCRIPTED_STAGING: 'fail:out of disk' }), new AbortController().signal)
      .catch((error: unknown) => error);
    expect(failed).to.be.instanceOf(StagingFailed).with.property('message', 'out of disk');
    const abort = new AbortController();
    const slow = runtime.stage(staging({ SCRIPTED_STAGING: 'slow:60000' }), abort.signal).catch((error: unknown) => error);
    abort.abort();
    expect(await slow).to.have.property('name', 'AbortError');
  });

  it('runs the asked number of instances, replaces them on a new revision, and tells listeners', async () => {
    const changes: RuntimeChange[] = [];
    runtime.onChange((change) => changes.push(change));
    await runtime.applyProcess(process());
    const first = await runtime.processInstances('process-1');
    expect(first.map((instance) => [instance.index, instance.state])).to.deep.equal([
      [0, 'RUNNING'],
      [1, 'RUNNING'],
    ]);
    await runtime.applyProcess(process({ instances: 1 }));
    expect(await runtime.processInstances('process-1')).to.have.length(1);
    expect((await runtime.processInstances('process-1'))[0]?.since).to.equal(first[0]?.since);
    await runtime.applyProcess(process({ instances: 1, revision: '1' }));
    expect((await runtime.processInstances('process-1'))[0]?.since).to.not.equal(first[0]?.since);
    expect(changes).to.deep.include({ kind: 'process', guid: 'process-1' });
    await runtime.removeProcess('process-1');
    expect(await runtime.processInstances('process-1')).to.deep.equal([]);
  });

  it('starts instances slowly or crashes them as scripted', async () => {
    await runtime.applyProcess(process({ instances: 1, environment: { SCRIPTED_INSTANCES: 'slow:30' } }));
    expect((await runtime.processInstances('process-1'))[0]?.state).to.equal('STARTING');
    await eventually(async () => expect((await runtime.processInstances('process-1'))[0]?.state).to.equal('RUNNING'), 2000);
    await runtime.applyProcess(process({ processGuid: 'process-2', instances: 1, environment: { SCRIPTED_INSTANCES: 'crash' } }));
    await eventually(async () => expect((await runtime.processInstances('process-2'))[0]?.state).to.equal('CRASHED'), 2000);
    expect(await runtime.restartInstance('process-2', 0)).to.equal(true);
    expect(await runtime.restartInstance('process-2', 5)).to.equal(false);
  });

  it('runs tasks to success or failure, once per GUID, and cancels a hanging one', async () => {
    const task = {
      name: 'migrate',
      appGuid: 'app-1',
      spaceGuid: 's',
      command: 'rake db:migrate',
      droplet: process().droplet,
      memoryMB: 1,
      diskMB: 1,
    };
    await runtime.runTask({ ...task, taskGuid: 'ok', environment: { SCRIPTED_TASK_MS: '10' } });
    await runtime.runTask({ ...task, taskGuid: 'fails', environment: { SCRIPTED_TASK: 'fail:exit status 3', SCRIPTED_TASK_MS: '10' } });
    await runtime.runTask({ ...task, taskGuid: 'hangs', environment: { SCRIPTED_TASK: 'hang' } });
    await eventually(async () => expect((await runtime.taskStatus('ok'))?.state).to.equal('SUCCEEDED'), 2000);
    await eventually(
      async () => expect(await runtime.taskStatus('fails')).to.include({ state: 'FAILED', reason: 'exit status 3', canceled: false }),
      2000,
    );
    expect((await runtime.taskStatus('hangs'))?.state).to.equal('RUNNING');
    await runtime.cancelTask('hangs');
    expect(await runtime.taskStatus('hangs')).to.include({ state: 'FAILED', canceled: true });
    await runtime.runTask({ ...task, taskGuid: 'ok', environment: {} });
    expect((await runtime.taskStatus('ok'))?.state).to.equal('SUCCEEDED');
    // Task output is tagged as CF tags it: APP/TASK/<name>, instance 0.
    const taskLines = logs.read('app-1').filter((line) => line.sourceType.startsWith('APP/TASK'));
    expect(new Set(taskLines.map((line) => `${line.sourceType}/${line.instance}`))).to.deep.equal(new Set(['APP/TASK/migrate/0']));
    expect(taskLines.length).to.be.at.least(4);
    await runtime.removeTask('ok');
    expect(await runtime.taskStatus('ok')).to.equal(undefined);
  });

  it('without a runtime, fails every staging with a message that says so', async () => {
    const failed = await new UnavailableRuntime().stage().catch((error: unknown) => error);
    expect(failed).to.be.instanceOf(StagingFailed);
    expect((failed as Error).message).to.match(/no app runtime/);
  });

  it('keeps a bounded number of recent lines per app, oldest dropped first', () => {
    const recent = new RecentAppLogs({ linesPerApp: 4 });
    for (let index = 0; index < 10; index++)
      recent.write({
        appGuid: 'a',
        sourceType: 'APP/PROC/WEB',
        instance: '0',
        text: `line ${index}`,
        stream: 'stdout',
        timestamp: new Date(index),
      });
    const lines = recent.read('a').map((line) => line.text);
    expect(lines.length).to.be.at.most(4);
    expect(lines.at(-1)).to.equal('line 9');
    expect(recent.read('a', new Date(9)).map((line) => line.text)).to.deep.equal(['line 9']);
  });
});
