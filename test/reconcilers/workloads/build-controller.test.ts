import { expect } from 'chai';
import { Readable } from 'node:stream';
import { RecentAppLogs } from '../../../src/app-runtime/app-logs.ts';
import type { StagingRequest } from '../../../src/app-runtime/app-runtime.ts';
import { ScriptedRuntime } from '../../../src/app-runtime/scripted/scripted-runtime.ts';
import { UnavailableRuntime } from '../../../src/app-runtime/unavailable-runtime.ts';
import type { BitsStore } from '../../../src/bits/bits-store.ts';
import { validateConfig } from '../../../src/config/load.ts';
import { label } from '../../../src/store/korifi-labels/label-rules.ts';
import { buildController, builderInfoController } from '../../../src/reconcilers/workloads/build-controller.ts';
import { KindController, type KindControllerDefinition, type WorkloadContext } from '../../../src/reconcilers/workloads/kind-controller.ts';
import type { KindName } from '../../../src/store/kinds.ts';
import type { NewObject } from '../../../src/store/objects.ts';
import { capturingLogger } from '../support.ts';
import { eventually } from '../../store/fixture.ts';
import { app, exists, namespace, testStore, type TestStore } from '../../unit/embedded-store/store-fixtures.ts';

const space = 'space';

/** The scripted runtime, recording every staging asked of it and whether it was stopped. */
class RecordingRuntime extends ScriptedRuntime {
  readonly stagings: { request: StagingRequest; signal: AbortSignal }[] = [];
  override stage(request: StagingRequest, signal: AbortSignal) {
    this.stagings.push({ request, signal });
    return super.stage(request, signal);
  }
}

const dockerPackage = (name: string, appGuid: string, image = 'registry.example.test/app:1'): NewObject<'CFPackage'> => ({
  kind: 'CFPackage',
  metadata: { name, namespace: space },
  spec: {
    type: 'docker',
    appRef: { name: appGuid },
    source: { registry: { image, imagePullSecrets: [{ name: 'pull-secret' }] } },
  },
});

const build = (
  name: string,
  appGuid: string,
  packageGuid: string,
  lifecycle?: NewObject<'CFBuild'>['spec']['lifecycle'],
): NewObject<'CFBuild'> => ({
  kind: 'CFBuild',
  // The package's label, as the API's writes set it: the package watch finds its builds by it.
  metadata: { name, namespace: space, labels: { [label('package-guid')]: packageGuid } },
  spec: {
    packageRef: { name: packageGuid },
    appRef: { name: appGuid },
    stagingMemoryMB: 1024,
    stagingDiskMB: 0,
    lifecycle: lifecycle ?? { type: 'docker', data: { buildpacks: [], stack: '' } },
  },
});

describe('build controller (staging through the runtime port)', () => {
  let fixture: TestStore;
  let runtime: RecordingRuntime;
  let context: WorkloadContext;
  const controllers: KindController<KindName>[] = [];

  const start = async (extra: Partial<WorkloadContext> = {}) => {
    Object.assign(context, extra);
    const definitions: KindControllerDefinition<KindName>[] = [buildController, builderInfoController];
    for (const definition of definitions) {
      const controller = new KindController<KindName>(definition, context, { concurrency: 4, resyncIntervalMs: 60_000 });
      controllers.push(controller);
      await controller.start();
    }
  };
  const stored = (name: string) => fixture.admin.get({ kind: 'CFBuild', namespace: space, name });
  const environment = async (appGuid: string, variables: Record<string, string>) => {
    await fixture.admin.create(app(space, appGuid));
    await fixture.admin.create({ kind: 'Secret', metadata: { name: `${appGuid}-env`, namespace: space }, stringData: variables });
  };

  beforeEach(async () => {
    fixture = await testStore();
    await fixture.admin.create(namespace(space));
    await fixture.admin.create(namespace('cf'));
    runtime = new RecordingRuntime(new RecentAppLogs({ linesPerApp: 10 }));
    context = { session: fixture.admin, runtime, logger: capturingLogger().logger, config: validateConfig({}) };
  });
  afterEach(async () => {
    await Promise.all(controllers.splice(0).map((controller) => controller.stop()));
    await runtime.close();
    await fixture.dispose();
  });

  it('stages a build once into a STAGED droplet with the scripted process types, and never again', async () => {
    await environment('a1', { SCRIPTED_PROCESS_TYPES: 'web=bundle exec rackup;worker=bundle exec sidekiq', OTHER: 'x' });
    await fixture.admin.create(dockerPackage('p1', 'a1'));
    await fixture.admin.create(build('b1', 'a1', 'p1'));
    await start();
    const staged = await eventually(async () => {
      const current = await stored('b1');
      expect(current.status?.state).to.equal('STAGED');
      return current;
    });
    expect(staged.status?.droplet).to.deep.equal({
      registry: { image: 'registry.example.test/app:1', imagePullSecrets: [{ name: 'pull-secret' }] },
      stack: '',
      processTypes: [
        { type: 'web', command: 'bundle exec rackup' },
        { type: 'worker', command: 'bundle exec sidekiq' },
      ],
      ports: [8080],
    });
    const conditions = Object.fromEntries((staged.status?.conditions ?? []).map((condition) => [condition.type, condition.status]));
    expect(conditions).to.deep.equal({ Staging: 'False', Succeeded: 'True' });
    expect(runtime.stagings).to.have.length(1);
    expect(runtime.stagings[0]?.request).to.deep.include({
      buildGuid: 'b1',
      appGuid: 'a1',
      spaceGuid: space,
      stack: '',
      buildpacks: [],
      memoryMB: 1024,
      diskMB: 0,
      source: { type: 'docker', image: 'registry.example.test/app:1' },
    });
    expect(runtime.stagings[0]?.request.environment).to.deep.include({ OTHER: 'x' });
    // Any later change brings the build back to the controller, which leaves a finished build alone.
    await fixture.admin.patch({ kind: 'CFBuild', namespace: space, name: 'b1' }, { metadata: { labels: { touched: 'yes' } } });
    await fixture.admin.patch({ kind: 'CFPackage', namespace: space, name: 'p1' }, { metadata: { labels: { touched: 'yes' } } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runtime.stagings).to.have.length(1);
  });

  it('records a scripted failure as FAILED with the message, and the detected buildpack of a success', async () => {
    await environment('a2', { SCRIPTED_STAGING: 'fail:no start command detected' });
    await environment('a3', {});
    await fixture.admin.create(dockerPackage('p2', 'a2'));
    await fixture.admin.create(dockerPackage('p3', 'a3'));
    const buildpackLifecycle = { type: 'buildpack' as const, data: { buildpacks: ['ruby_buildpack'], stack: 'cflinuxfs4' } };
    await fixture.admin.create(build('b2', 'a2', 'p2', buildpackLifecycle));
    await fixture.admin.create(build('b3', 'a3', 'p3', buildpackLifecycle));
    await start();
    const failed = await eventually(async () => {
      const current = await stored('b2');
      expect(current.status?.state).to.equal('FAILED');
      return current;
    });
    const succeeded = failed.status?.conditions?.find((condition) => condition.type === 'Succeeded');
    expect(succeeded).to.deep.include({ status: 'False', reason: 'StagingFailed', message: 'no start command detected' });
    expect(failed.status?.droplet).to.equal(undefined);
    const staged = await eventually(async () => {
      const current = await stored('b3');
      expect(current.status?.state).to.equal('STAGED');
      return current;
    });
    expect(staged.status?.droplet?.stack).to.equal('cflinuxfs4');
    expect(staged.metadata.annotations).to.deep.include({ 'cfapi.cloudfoundry.org/detected-buildpack': 'ruby_buildpack' });
  });

  it('keeps a build STAGING until its package has a source, and fails one whose package is gone', async () => {
    await environment('a4', {});
    await fixture.admin.create(dockerPackage('p4', 'a4', ''));
    await fixture.admin.create(build('b4', 'a4', 'p4'));
    await fixture.admin.create(build('b5', 'a4', 'missing-package'));
    await start();
    await eventually(async () => expect((await stored('b4')).status?.state).to.equal('STAGING'));
    const gone = await eventually(async () => {
      const current = await stored('b5');
      expect(current.status?.state).to.equal('FAILED');
      return current;
    });
    expect(gone.status?.conditions?.find((condition) => condition.type === 'Succeeded')?.message).to.equal(
      'The package missing-package does not exist.',
    );
    expect(runtime.stagings).to.have.length(0);
    await fixture.admin.patch({ kind: 'CFPackage', namespace: space, name: 'p4' }, { spec: { source: { registry: { image: 'img:2' } } } });
    await eventually(async () => expect((await stored('b4')).status?.state).to.equal('STAGED'));
    expect(runtime.stagings.map((staging) => staging.request.buildGuid)).to.deep.equal(['b4']);
  });

  it('stops the staging of a build deleted while it stages, and records nothing', async () => {
    await environment('a6', { SCRIPTED_STAGING: 'slow:60000' });
    await fixture.admin.create(dockerPackage('p6', 'a6'));
    await fixture.admin.create(build('b6', 'a6', 'p6'));
    await start();
    await eventually(async () => expect(runtime.stagings).to.have.length(1));
    expect((await stored('b6')).status?.state).to.equal('STAGING');
    await fixture.admin.delete({ kind: 'CFBuild', namespace: space, name: 'b6' });
    await eventually(async () => expect(runtime.stagings[0]?.signal.aborted).to.equal(true));
    expect(await exists(fixture.admin, 'CFBuild', 'b6', space)).to.equal(false);
  });

  it('leaves a build STAGING when the server stops mid-staging, and stages it again after a restart', async () => {
    await environment('a10', { SCRIPTED_STAGING: 'slow:60000' });
    await fixture.admin.create(dockerPackage('p10', 'a10'));
    await fixture.admin.create(build('b10', 'a10', 'p10'));
    await start();
    await eventually(async () => expect(runtime.stagings).to.have.length(1));
    await Promise.all(controllers.splice(0).map((controller) => controller.stop()));
    await runtime.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await stored('b10')).status?.state).to.equal('STAGING');
    // The restarted server's runtime stages it again; this time quickly.
    runtime = new RecordingRuntime(new RecentAppLogs({ linesPerApp: 10 }));
    await fixture.admin.patch({ kind: 'Secret', namespace: space, name: 'a10-env' }, { stringData: { SCRIPTED_STAGING: 'ok' } });
    context = { ...context, runtime };
    await start();
    await eventually(async () => expect((await stored('b10')).status?.state).to.equal('STAGED'));
    expect(runtime.stagings).to.have.length(1);
  });

  it('stages a bits package from the bits store, and fails the build when the bits cannot be read', async () => {
    const opened: string[] = [];
    const bits = {
      packages: {
        openPackageBits: async (ref: { appGuid: string; packageGuid: string }) => {
          opened.push(`${ref.appGuid}/${ref.packageGuid}`);
          if (ref.packageGuid === 'p8') throw new Error('no bits stored for this package');
          return { digest: 'sha256:0', sizeBytes: 3, stream: Readable.from([Buffer.from('zip')]) };
        },
      },
    } as unknown as BitsStore;
    await environment('a7', {});
    for (const name of ['p7', 'p8']) {
      await fixture.admin.create({
        kind: 'CFPackage',
        metadata: { name, namespace: space },
        spec: { type: 'bits', appRef: { name: 'a7' }, source: { registry: { image: `bits/${name}` } } },
      });
    }
    await fixture.admin.create(build('b7', 'a7', 'p7', { type: 'buildpack', data: { stack: 'cflinuxfs3' } }));
    await fixture.admin.create(build('b8', 'a7', 'p8', { type: 'buildpack', data: { stack: 'cflinuxfs3' } }));
    await start({ bits });
    await eventually(async () => expect((await stored('b7')).status?.state).to.equal('STAGED'));
    expect((await stored('b7')).status?.droplet?.registry.image).to.equal('scripted://droplets/b7');
    const failed = await eventually(async () => {
      const current = await stored('b8');
      expect(current.status?.state).to.equal('FAILED');
      return current;
    });
    expect(failed.status?.conditions?.find((condition) => condition.type === 'Succeeded')?.message).to.equal(
      'Staging failed: no bits stored for this package',
    );
    expect(opened.sort()).to.deep.equal(['a7/p7', 'a7/p8']);
  });

  it('fails every build with the reason where there is no runtime (appRuntime: none), and lists no buildpacks', async () => {
    const none = new UnavailableRuntime();
    await environment('a9', {});
    await fixture.admin.create(dockerPackage('p9', 'a9'));
    await fixture.admin.create(build('b9', 'a9', 'p9'));
    await start({ runtime: none });
    const failed = await eventually(async () => {
      const current = await stored('b9');
      expect(current.status?.state).to.equal('FAILED');
      return current;
    });
    expect(failed.status?.conditions?.find((condition) => condition.type === 'Succeeded')?.message).to.equal(
      'This server has no app runtime (appRuntime: none), so it cannot stage or run apps.',
    );
    await eventually(async () => {
      const info = await fixture.admin.get({ kind: 'BuilderInfo', namespace: 'cf', name: 'cf-kpack-builder' });
      expect(info.status).to.deep.include({ buildpacks: [], stacks: [] });
    });
  });

  it("keeps a Ready BuilderInfo with the runtime's buildpacks and stacks, made again when deleted", async () => {
    await start();
    const ref = { kind: 'BuilderInfo' as const, namespace: 'cf', name: 'cf-kpack-builder' };
    const info = await eventually(async () => {
      const current = await fixture.admin.get(ref);
      expect(current.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).to.equal('True');
      return current;
    });
    expect(info.status?.buildpacks.map((buildpack) => [buildpack.name, buildpack.version, buildpack.stack])).to.deep.equal(
      runtime.builder.buildpacks.map((buildpack) => [buildpack.name, buildpack.version, buildpack.stack]),
    );
    expect(info.status?.stacks.map((stack) => stack.name)).to.deep.equal(['cflinuxfs3', 'cflinuxfs4']);
    await fixture.admin.delete(ref);
    await eventually(async () => {
      const again = await fixture.admin.get(ref);
      expect(again.metadata.uid).to.not.equal(info.metadata.uid);
      expect(again.status?.stacks).to.have.length(2);
    });
  });
});
