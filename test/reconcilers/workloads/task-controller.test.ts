import { expect } from 'chai';
import { RecentAppLogs } from '../../../src/app-runtime/app-logs.ts';
import type { AppRuntime, TaskWorkload } from '../../../src/app-runtime/app-runtime.ts';
import { ScriptedRuntime } from '../../../src/app-runtime/scripted/scripted-runtime.ts';
import { UnavailableRuntime } from '../../../src/app-runtime/unavailable-runtime.ts';
import { validateConfig } from '../../../src/config/load.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { KindController, type WorkloadContext } from '../../../src/reconcilers/workloads/kind-controller.ts';
import { taskController } from '../../../src/reconcilers/workloads/task-controller.ts';
import { withKorifiLabels } from '../../../src/store/korifi-labels/labelled-store.ts';
import type { KindName } from '../../../src/store/kinds.ts';
import type { StoredObject } from '../../../src/store/objects.ts';
import type { StoreSession } from '../../../src/store/port.ts';
import { eventually } from '../../store/fixture.ts';
import { app, namespace, testStore, type TestStore } from '../../unit/embedded-store/store-fixtures.ts';
import { capturingLogger } from '../support.ts';

const space = 'space';

/** The scripted runtime, recording what the controller asks of it. */
class RecordingRuntime extends ScriptedRuntime {
  readonly runs: TaskWorkload[] = [];
  readonly cancels: string[] = [];
  readonly removals: string[] = [];
  override runTask(spec: TaskWorkload) {
    this.runs.push(spec);
    return super.runTask(spec);
  }
  override cancelTask(taskGuid: string) {
    this.cancels.push(taskGuid);
    return super.cancelTask(taskGuid);
  }
  override removeTask(taskGuid: string) {
    this.removals.push(taskGuid);
    return super.removeTask(taskGuid);
  }
}

type Task = StoredObject<'CFTask'>;

describe('task controller (tasks through the runtime port)', () => {
  let fixture: TestStore;
  let session: StoreSession;
  let runtime: RecordingRuntime;
  let controller: KindController<KindName> | undefined;

  const start = async (config: ConfigInput = {}, other?: AppRuntime) => {
    const context: WorkloadContext = {
      session,
      runtime: other ?? runtime,
      logger: capturingLogger().logger,
      config: validateConfig(config),
    };
    controller = new KindController<KindName>(taskController, context, { concurrency: 4, resyncIntervalMs: 60_000 });
    await controller.start();
  };
  const ref = (name: string) => ({ kind: 'CFTask' as const, namespace: space, name });
  const stored = (name: string) => session.get(ref(name));
  const conditionsOf = (task: Task) =>
    Object.fromEntries((task.status?.conditions ?? []).map((condition) => [condition.type, [condition.status, condition.reason]]));
  const until = (name: string, check: (task: Task) => void, timeoutMs?: number) =>
    eventually(async () => {
      const task = await stored(name);
      check(task);
      return task;
    }, timeoutMs);

  /** An app with an env Secret and, unless told otherwise, a STAGED droplet as its current one. */
  const appWithDroplet = async (guid: string, env: Record<string, string> = {}, options: { droplet?: boolean } = {}) => {
    await session.create(app(space, guid));
    await session.patch({ kind: 'CFApp', namespace: space, name: guid }, { spec: { envSecretName: `${guid}-env` } });
    await session.create({ kind: 'Secret', metadata: { name: `${guid}-env`, namespace: space }, stringData: env });
    if (options.droplet === false) return;
    await writeDroplet(`${guid}-droplet`, guid);
    await session.patch({ kind: 'CFApp', namespace: space, name: guid }, { spec: { currentDropletRef: { name: `${guid}-droplet` } } });
  };
  const writeDroplet = async (name: string, appGuid: string) => {
    await session.create({
      kind: 'CFBuild',
      metadata: { name, namespace: space },
      spec: {
        packageRef: { name: 'p' },
        appRef: { name: appGuid },
        stagingMemoryMB: 1024,
        stagingDiskMB: 1024,
        lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs3' } },
      },
    });
    await session.patchStatus(
      { kind: 'CFBuild', namespace: space, name },
      { state: 'STAGED', droplet: { registry: { image: `registry.test/${name}`, imagePullSecrets: [] } } },
    );
  };
  const createTask = (name: string, appGuid: string, extra: { annotations?: Record<string, string>; canceled?: boolean } = {}) =>
    session.create({
      kind: 'CFTask',
      metadata: { name, namespace: space, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
      spec: { command: `run ${name}`, appRef: { name: appGuid }, ...(extra.canceled ? { canceled: true } : {}) },
    });

  beforeEach(async () => {
    fixture = await testStore();
    session = withKorifiLabels(fixture.store).privileged();
    await session.create(namespace(space));
    runtime = new RecordingRuntime(new RecentAppLogs({ linesPerApp: 10 }));
  });
  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
    await runtime.close();
    await fixture.dispose();
  });

  it('initializes (sequence ID per app, sizes, droplet), runs with the droplet image and app environment, and follows to Succeeded', async () => {
    await appWithDroplet('a1', { GREETING: 'hello' });
    await appWithDroplet('a2');
    await createTask('t1', 'a1');
    await createTask('t2', 'a1', {
      annotations: { 'cfapi.cloudfoundry.org/task-memory-mb': '256', 'cfapi.cloudfoundry.org/task-disk-mb': '512' },
    });
    await createTask('t3', 'a2');
    await start();
    const done = await until('t2', (task) => expect(conditionsOf(task)['Succeeded']).to.deep.equal(['True', 'TaskSucceeded']));
    expect(conditionsOf(done)).to.deep.include({ Initialized: ['True', 'TaskInitialized'], Started: ['True', 'TaskStarted'] });
    expect(done.status).to.deep.include({ memoryMB: 256, diskQuotaMB: 512, dropletRef: { name: 'a1-droplet' } });
    const others = await Promise.all(['t1', 't3'].map((name) => until(name, (task) => expect(task.status?.sequenceId).to.be.a('number'))));
    expect((await stored('t1')).status).to.deep.include({ memoryMB: 1024, diskQuotaMB: 1024 });
    expect([others[0]?.status?.sequenceId, done.status?.sequenceId].sort()).to.deep.equal([1, 2]);
    expect(others[1]?.status?.sequenceId).to.equal(1);
    expect(done.metadata.labels?.['korifi.cloudfoundry.org/task-sequence-id']).to.equal(String(done.status?.sequenceId));
    const run = runtime.runs.find((spec) => spec.taskGuid === 't2');
    expect(run).to.deep.include({
      appGuid: 'a1',
      spaceGuid: space,
      command: 'run t2',
      droplet: { guid: 'a1-droplet', image: 'registry.test/a1-droplet' },
      memoryMB: 256,
      diskMB: 512,
    });
    expect(run?.environment).to.deep.equal({ GREETING: 'hello' });
  });

  it("runs with the app's VCAP_SERVICES when its status names their Secret", async () => {
    await appWithDroplet('a1', { GREETING: 'hello' });
    const services = JSON.stringify({ 'user-provided': [{ name: 'db', credentials: { password: 'p' } }] });
    await session.create({
      kind: 'Secret',
      metadata: { name: 'a1-vcap-services', namespace: space },
      stringData: { VCAP_SERVICES: services },
    });
    await session.patchStatus({ kind: 'CFApp', namespace: space, name: 'a1' }, { vcapServicesSecretName: 'a1-vcap-services' });
    await createTask('t1', 'a1');
    await start();
    await until('t1', (task) => expect(conditionsOf(task)['Started']?.[0]).to.equal('True'));
    expect(runtime.runs.find((spec) => spec.taskGuid === 't1')?.environment).to.deep.equal({ GREETING: 'hello', VCAP_SERVICES: services });
  });

  it('leaves a task uninitialized while its app has no droplet, and takes it up once it has one', async () => {
    await appWithDroplet('a1', {}, { droplet: false });
    await createTask('t1', 'a1');
    await start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await stored('t1')).status?.conditions ?? []).to.deep.equal([]);
    await writeDroplet('late', 'a1');
    await session.patch({ kind: 'CFApp', namespace: space, name: 'a1' }, { spec: { currentDropletRef: { name: 'late' } } });
    const task = await until('t1', (current) => expect(conditionsOf(current)['Initialized']?.[0]).to.equal('True'), 10_000);
    expect(task.status?.dropletRef).to.deep.equal({ name: 'late' });
  });

  it('does not count Korifi-numbered tasks (beyond 2^53) in the app numbering', async () => {
    await appWithDroplet('a1', { SCRIPTED_TASK: 'hang' });
    await createTask('korifi', 'a1');
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await session.patchStatus(ref('korifi'), {
      sequenceId: Number('20261205172327123'),
      conditions: [{ type: 'Initialized', status: 'True', reason: 'TaskInitialized', message: '', lastTransitionTime: now }],
    });
    await createTask('t1', 'a1');
    await start();
    const task = await until('t1', (current) => expect(current.status?.sequenceId).to.be.a('number'));
    expect(task.status?.sequenceId).to.equal(1);
  });

  it('records a failure with the runtime reason', async () => {
    await appWithDroplet('a1', { SCRIPTED_TASK: 'fail:out of cheese' });
    await createTask('t1', 'a1');
    await start();
    const task = await until('t1', (current) => expect(conditionsOf(current)['Failed']?.[0]).to.equal('True'));
    const failed = task.status?.conditions?.find((condition) => condition.type === 'Failed');
    expect(failed).to.deep.include({ reason: 'TaskFailed', message: 'out of cheese' });
    expect(conditionsOf(task)['Succeeded']).to.equal(undefined);
  });

  it('cancels a running task in the runtime: Canceled, then Failed with reason TaskCanceled', async () => {
    await appWithDroplet('a1', { SCRIPTED_TASK: 'hang' });
    await createTask('t1', 'a1');
    await start();
    await until('t1', (task) => expect(conditionsOf(task)['Started']?.[0]).to.equal('True'));
    expect((await runtime.taskStatus('t1'))?.state).to.equal('RUNNING');
    await session.patch(ref('t1'), { spec: { canceled: true } });
    const task = await until('t1', (current) => expect(conditionsOf(current)['Failed']).to.deep.equal(['True', 'TaskCanceled']));
    expect(conditionsOf(task)['Canceled']).to.deep.equal(['True', 'TaskCanceled']);
    expect(runtime.cancels).to.deep.equal(['t1']);
    expect((await runtime.taskStatus('t1'))?.state).to.equal('FAILED');
  });

  it('never runs a task cancelled before it started', async () => {
    await appWithDroplet('a1');
    await createTask('t1', 'a1', { canceled: true });
    await start();
    const task = await until('t1', (current) => expect(conditionsOf(current)['Failed']).to.deep.equal(['True', 'TaskCanceled']));
    expect(conditionsOf(task)['Started']).to.equal(undefined);
    expect(runtime.runs).to.deep.equal([]);
  });

  it('fails a task whose droplet is gone', async () => {
    await appWithDroplet('a1');
    await createTask('t1', 'a1');
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await session.patchStatus(ref('t1'), {
      sequenceId: 7,
      dropletRef: { name: 'gone' },
      conditions: [{ type: 'Initialized', status: 'True', reason: 'TaskInitialized', message: '', lastTransitionTime: now }],
    });
    await start();
    const task = await until('t1', (current) => expect(conditionsOf(current)['Failed']?.[0]).to.equal('True'));
    expect(conditionsOf(task)['Failed']).to.deep.equal(['True', 'DropletNotFound']);
    expect(runtime.runs).to.deep.equal([]);
  });

  it('fails a started task the runtime no longer knows (it restarted) instead of running it twice, and lets it go once deleted', async () => {
    await appWithDroplet('a1', { SCRIPTED_TASK: 'hang' });
    await createTask('t1', 'a1');
    await start();
    await until('t1', (task) => expect(conditionsOf(task)['Started']?.[0]).to.equal('True'));
    await runtime.removeTask('t1');
    await session.patch(ref('t1'), { metadata: { labels: { poke: 'yes' } } });
    const lost = await until('t1', (task) => expect(conditionsOf(task)['Failed']?.[0]).to.equal('True'));
    expect(conditionsOf(lost)['Failed']).to.deep.equal(['True', 'TaskLost']);
    expect(runtime.runs.filter((spec) => spec.taskGuid === 't1')).to.have.length(1);
    expect(await runtime.taskStatus('t1')).to.equal(undefined);
    await session.delete(ref('t1'));
    await eventually(async () => expect(runtime.removals.filter((guid) => guid === 't1')).to.have.length(2));
  });

  it('deletes finished tasks taskTTLSeconds after they ended, and leaves running ones', async () => {
    await appWithDroplet('a1', { SCRIPTED_TASK_MS: '10' });
    await appWithDroplet('a2', { SCRIPTED_TASK: 'hang' });
    await createTask('done', 'a1');
    await createTask('running', 'a2');
    await start({ taskTTLSeconds: 1 });
    await until('done', (task) => expect(conditionsOf(task)['Succeeded']?.[0]).to.equal('True'));
    await eventually(async () => {
      const names = (await session.list('CFTask', { namespace: space })).items.map((task) => task.metadata.name);
      expect(names).to.deep.equal(['running']);
    }, 5_000);
    expect(conditionsOf(await stored('running'))['Started']?.[0]).to.equal('True');
  });

  it('with no runtime (appRuntime: none), fails the task saying why', async () => {
    await appWithDroplet('a1');
    await createTask('t1', 'a1');
    await start({}, new UnavailableRuntime());
    const task = await until('t1', (current) => expect(conditionsOf(current)['Failed']?.[0]).to.equal('True'));
    const failed = task.status?.conditions?.find((condition) => condition.type === 'Failed');
    expect(failed?.message).to.contain('appRuntime: none');
  });
});
