import { expect } from 'chai';
import { RecentAppLogs } from '../../../src/app-runtime/app-logs.ts';
import type { ProcessWorkload } from '../../../src/app-runtime/app-runtime.ts';
import { ScriptedRuntime } from '../../../src/app-runtime/scripted/scripted-runtime.ts';
import { validateConfig } from '../../../src/config/load.ts';
import { processGuidOf } from '../../../src/domain/processes/process-spec.ts';
import { appController } from '../../../src/reconcilers/workloads/app-controller.ts';
import { KindController, type KindControllerDefinition, type WorkloadContext } from '../../../src/reconcilers/workloads/kind-controller.ts';
import { processController } from '../../../src/reconcilers/workloads/process-controller.ts';
import type { KindName } from '../../../src/store/kinds.ts';
import { withKorifiLabels } from '../../../src/store/korifi-labels/labelled-store.ts';
import type { StoredObject } from '../../../src/store/objects.ts';
import type { StoreSession } from '../../../src/store/port.ts';
import { eventually } from '../../store/fixture.ts';
import { namespace, testStore, type TestStore } from '../../unit/embedded-store/store-fixtures.ts';
import { capturingLogger } from '../support.ts';

const space = 'space-ns';
const orgGuid = 'org-guid';

/** The scripted runtime, recording what the process controller asks of it. */
class RecordingRuntime extends ScriptedRuntime {
  readonly applied: ProcessWorkload[] = [];
  readonly removed: string[] = [];
  readonly restarted: [string, number][] = [];
  override applyProcess(spec: ProcessWorkload) {
    this.applied.push(spec);
    return super.applyProcess(spec);
  }
  override removeProcess(guid: string) {
    this.removed.push(guid);
    return super.removeProcess(guid);
  }
  override restartInstance(guid: string, index: number) {
    this.restarted.push([guid, index]);
    return super.restartInstance(guid, index);
  }
}

const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

describe('app and process controllers (processes through the runtime port)', () => {
  let fixture: TestStore;
  let session: StoreSession;
  let runtime: RecordingRuntime;
  const controllers: KindController<KindName>[] = [];

  beforeEach(async () => {
    fixture = await testStore();
    session = withKorifiLabels(fixture.store).privileged();
    await session.create(namespace('cf'));
    await session.create(namespace(orgGuid));
    await session.create(namespace(space));
    await session.create({ kind: 'CFOrg', metadata: { name: orgGuid, namespace: 'cf' }, spec: { displayName: 'the-org' } });
    await session.create({ kind: 'CFSpace', metadata: { name: space, namespace: orgGuid }, spec: { displayName: 'the-space' } });
    runtime = new RecordingRuntime(new RecentAppLogs({ linesPerApp: 10 }));
    const context: WorkloadContext = {
      session,
      runtime,
      logger: capturingLogger().logger,
      config: validateConfig({ externalUrl: 'https://api.example.test' }),
    };
    for (const definition of [appController, processController] as KindControllerDefinition<KindName>[]) {
      const controller = new KindController<KindName>(definition, context, { concurrency: 4, resyncIntervalMs: 60_000 });
      controllers.push(controller);
      await controller.start();
    }
  });
  afterEach(async () => {
    await Promise.all(controllers.splice(0).map((controller) => controller.stop()));
    await runtime.close();
    await fixture.dispose();
  });

  const appRef = (name: string) => ({ kind: 'CFApp' as const, namespace: space, name });
  const processRef = (appGuid: string, type: string) => ({
    kind: 'CFProcess' as const,
    namespace: space,
    name: processGuidOf(appGuid, type),
  });

  async function createApp(name: string, env: Record<string, string> = {}): Promise<StoredObject<'CFApp'>> {
    const created = await session.create({
      kind: 'CFApp',
      metadata: { name, namespace: space, annotations: { 'korifi.cloudfoundry.org/app-rev': '0' } },
      spec: {
        displayName: `${name}-name`,
        desiredState: 'STOPPED',
        lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs4' } },
        envSecretName: `${name}-env`,
      },
    });
    await session.create({ kind: 'Secret', metadata: { name: `${name}-env`, namespace: space }, stringData: env });
    return created;
  }

  async function stagedBuild(name: string, appGuid: string, processTypes = [{ type: 'web', command: 'run-web' }], state = 'STAGED') {
    await session.create({
      kind: 'CFBuild',
      metadata: { name, namespace: space },
      spec: {
        packageRef: { name: 'no-package' },
        appRef: { name: appGuid },
        stagingMemoryMB: 1024,
        stagingDiskMB: 0,
        lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs4' } },
      },
    });
    await session.patchStatus(
      { kind: 'CFBuild', namespace: space, name },
      { state, droplet: { registry: { image: `image-of-${name}` }, stack: 'cflinuxfs4', processTypes, ports: [9000] } },
    );
  }

  const setDroplet = (appGuid: string, droplet: string) =>
    session.patch(appRef(appGuid), { spec: { currentDropletRef: { name: droplet } } });
  const setState = (appGuid: string, desiredState: 'STARTED' | 'STOPPED', annotations: Record<string, string> = {}) =>
    session.patch(appRef(appGuid), { spec: { desiredState }, metadata: { annotations } });

  async function readyOf(appGuid: string) {
    const app = await session.get(appRef(appGuid));
    return { app, ready: app.status?.conditions?.find((condition) => condition.type === 'Ready') };
  }

  it("says why an app is not ready: no droplet, a droplet that is not this app's staged build", async () => {
    await createApp('a1');
    await eventually(async () => expect((await readyOf('a1')).ready).to.deep.include({ status: 'False', reason: 'DropletNotAssigned' }));
    await stagedBuild('b-staging', 'a1', [], 'STAGING');
    await setDroplet('a1', 'b-staging');
    await eventually(async () => {
      const { app, ready } = await readyOf('a1');
      expect(ready).to.deep.include({
        status: 'False',
        reason: 'CannotResolveCurrentDropletRef',
        observedGeneration: app.metadata.generation,
      });
      expect(app.status?.actualState).to.equal('STOPPED');
    });
    await createApp('other');
    await stagedBuild('b-other', 'other');
    await setDroplet('a1', 'b-other');
    await eventually(async () => {
      const { app, ready } = await readyOf('a1');
      expect(ready).to.deep.include({ reason: 'CannotResolveCurrentDropletRef', observedGeneration: app.metadata.generation });
    });
    expect((await session.list('CFProcess', { namespace: space })).items.filter((p) => p.spec.appRef.name === 'a1')).to.deep.equal([]);
    // The build becoming STAGED (a CFBuild change) brings the app back.
    await setDroplet('a1', 'b-staging');
    await session.patchStatus({ kind: 'CFBuild', namespace: space, name: 'b-staging' }, { state: 'STAGED' });
    await eventually(async () => expect((await readyOf('a1')).ready).to.deep.include({ status: 'True', reason: 'Ready' }));
  });

  it('adopts a process someone else made under the same name, changing only its detected command', async () => {
    await createApp('a2');
    await session.create({
      kind: 'CFProcess',
      metadata: { name: processGuidOf('a2', 'web'), namespace: space },
      spec: {
        appRef: { name: 'a2' },
        processType: 'web',
        command: 'from-manifest',
        desiredInstances: 5,
        memoryMB: 64,
        diskQuotaMB: 128,
        healthCheck: { type: 'http', data: { httpEndpoint: '/up', timeoutSeconds: 5, invocationTimeoutSeconds: 1 } },
      },
    });
    await stagedBuild('b2', 'a2');
    await setDroplet('a2', 'b2');
    await eventually(async () => {
      const process = await session.get(processRef('a2', 'web'));
      expect(process.spec).to.deep.include({ detectedCommand: 'run-web', command: 'from-manifest', desiredInstances: 5, memoryMB: 64 });
    });
    expect((await session.list('CFProcess', { namespace: space })).items).to.have.length(1);
  });

  it('runs the droplet with the command, environment and revision while the app is started, and nothing once stopped', async () => {
    await createApp('a3', { GREETING: 'hi' });
    await stagedBuild('b3', 'a3', [
      { type: 'web', command: 'run-web' },
      { type: 'worker', command: 'run-worker' },
    ]);
    await setDroplet('a3', 'b3');
    await eventually(async () => session.get(processRef('a3', 'worker')));
    await session.patch(processRef('a3', 'worker'), { spec: { desiredInstances: 2, command: 'my-worker' } });
    await setState('a3', 'STARTED');
    await eventually(async () => {
      const { app, ready } = await readyOf('a3');
      expect(app.status?.actualState).to.equal('STARTED');
      expect(ready?.status).to.equal('True');
    });
    const worker = runtime.applied.filter((spec) => spec.processType === 'worker').at(-1)!;
    expect(worker).to.deep.include({
      processGuid: processGuidOf('a3', 'worker'),
      appGuid: 'a3',
      spaceGuid: space,
      droplet: { guid: 'b3', image: 'image-of-b3' },
      command: 'my-worker',
      instances: 2,
      memoryMB: 1024,
      diskMB: 1024,
      ports: [9000],
      revision: '0',
    });
    expect(worker.healthCheck).to.deep.equal({ type: 'process', timeoutSeconds: 60, invocationTimeoutSeconds: 0 });
    expect(worker.environment).to.deep.include({ GREETING: 'hi', PORT: '9000', VCAP_SERVICES: '{}', MEMORY_LIMIT: '1024m' });
    expect(JSON.parse(worker.environment['VCAP_APPLICATION'] ?? '')).to.deep.equal({
      application_id: 'a3',
      application_name: 'a3-name',
      name: 'a3-name',
      space_id: space,
      space_name: 'the-space',
      organization_id: orgGuid,
      organization_name: 'the-org',
      cf_api: 'https://api.example.test',
    });
    const worked = await session.get(processRef('a3', 'worker'));
    expect(worked.status?.actualInstances).to.equal(2);
    expect(Object.values(worked.status?.instancesStatus ?? {}).map((instance) => instance.state)).to.deep.equal(['RUNNING', 'RUNNING']);

    // Nothing changed: nothing is applied again, however often the process comes back.
    const applies = runtime.applied.length;
    await session.patch(appRef('a3'), { metadata: { labels: { touched: 'yes' } } });
    await settle();
    expect(runtime.applied.length).to.equal(applies);

    // A new revision replaces the workload.
    await session.patch(appRef('a3'), { metadata: { annotations: { 'korifi.cloudfoundry.org/app-rev': '7' } } });
    await eventually(async () => expect(runtime.applied.at(-1)?.revision).to.equal('7'));

    await setState('a3', 'STOPPED');
    await eventually(async () => {
      expect((await readyOf('a3')).app.status?.actualState).to.equal('STOPPED');
      expect(await runtime.processInstances(processGuidOf('a3', 'worker'))).to.deep.equal([]);
      expect((await session.get(processRef('a3', 'worker'))).status?.actualInstances).to.equal(0);
    });
  });

  it('carries out instance restart requests of a running process and drops those of a stopped one', async () => {
    await createApp('a4');
    await stagedBuild('b4', 'a4');
    await setDroplet('a4', 'b4');
    await eventually(async () => session.get(processRef('a4', 'web')));
    await setState('a4', 'STARTED');
    await eventually(async () => expect((await readyOf('a4')).app.status?.actualState).to.equal('STARTED'));
    const request = { 'cfapi.cloudfoundry.org/restart-instance-0': new Date().toISOString() };
    await session.patch(processRef('a4', 'web'), { metadata: { annotations: request } });
    await eventually(async () => {
      expect(runtime.restarted).to.deep.equal([[processGuidOf('a4', 'web'), 0]]);
      expect((await session.get(processRef('a4', 'web'))).metadata.annotations ?? {}).to.not.have.key(Object.keys(request)[0]!);
    });
    await setState('a4', 'STOPPED');
    await eventually(async () => expect((await readyOf('a4')).app.status?.actualState).to.equal('STOPPED'));
    await session.patch(processRef('a4', 'web'), { metadata: { annotations: request } });
    await eventually(async () =>
      expect((await session.get(processRef('a4', 'web'))).metadata.annotations ?? {}).to.not.have.key(Object.keys(request)[0]!),
    );
    expect(runtime.restarted).to.have.length(1);
  });

  it('lets go of what the runtime runs when the process or its app goes', async () => {
    await createApp('a5');
    await stagedBuild('b5', 'a5');
    await setDroplet('a5', 'b5');
    const web = await eventually(async () => session.get(processRef('a5', 'web')));
    // A process type the droplet does not have (as a manifest makes one): the app controller leaves it be.
    await session.create({
      kind: 'CFProcess',
      metadata: { name: processGuidOf('a5', 'extra'), namespace: space, ownerReferences: web.metadata.ownerReferences ?? [] },
      spec: { ...web.spec, processType: 'extra', detectedCommand: '', command: 'extra' },
    });
    await setState('a5', 'STARTED');
    const webGuid = processGuidOf('a5', 'web');
    const extraGuid = processGuidOf('a5', 'extra');
    await eventually(async () => {
      expect(await runtime.processInstances(webGuid)).to.have.length(1);
      expect(await runtime.processInstances(extraGuid)).to.have.length(1);
    });
    await session.delete(processRef('a5', 'extra'));
    await eventually(async () => expect(await runtime.processInstances(extraGuid)).to.deep.equal([]));
    expect(await runtime.processInstances(webGuid)).to.have.length(1);
    await session.delete(appRef('a5'));
    await eventually(async () => expect(await runtime.processInstances(webGuid)).to.deep.equal([]));
    expect(runtime.removed).to.include.members([extraGuid, webGuid]);
  });
});
