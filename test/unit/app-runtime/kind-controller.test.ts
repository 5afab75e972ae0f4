import { expect } from 'chai';
import { ScriptedRuntime } from '../../../src/app-runtime/scripted/scripted-runtime.ts';
import { RecentAppLogs } from '../../../src/app-runtime/app-logs.ts';
import { validateConfig } from '../../../src/config/load.ts';
import { KindController, type KindControllerDefinition, type WorkloadContext } from '../../../src/reconcilers/workloads/kind-controller.ts';
import type { Ref } from '../../../src/store/port.ts';
import { capturingLogger } from '../../reconcilers/support.ts';
import { eventually } from '../../store/fixture.ts';
import { app, namespace, testStore, type TestStore } from '../embedded-store/store-fixtures.ts';

describe('kind controller (the workload reconcilers’ frame)', () => {
  let fixture: TestStore;
  let context: WorkloadContext;
  let controller: KindController<'CFApp'> | undefined;
  const seen: { ref: Ref<'CFApp'>; existed: boolean }[] = [];

  beforeEach(async () => {
    fixture = await testStore();
    await fixture.admin.create(namespace('space'));
    context = {
      session: fixture.admin,
      runtime: new ScriptedRuntime(new RecentAppLogs({ linesPerApp: 10 })),
      logger: capturingLogger().logger,
      config: validateConfig({}),
    };
    seen.length = 0;
  });
  afterEach(async () => {
    await controller?.stop();
    await context.runtime.close();
    await fixture.dispose();
  });

  const start = async (definition: Partial<KindControllerDefinition<'CFApp'>>) => {
    controller = new KindController<'CFApp'>(
      {
        kind: 'CFApp',
        reconcile: async (_context, ref, object) => {
          seen.push({ ref, existed: object !== undefined });
          return undefined;
        },
        ...definition,
      },
      context,
      { concurrency: 2, resyncIntervalMs: 60_000 },
    );
    await controller.start();
  };
  const reconciled = (name: string, existed = true) => seen.some((entry) => entry.ref.name === name && entry.existed === existed);

  it('reconciles what exists at start, what is created later, and what is deleted (as gone)', async () => {
    await fixture.admin.create(app('space', 'before'));
    await start({});
    await eventually(async () => expect(reconciled('before')).to.equal(true));
    await fixture.admin.create(app('space', 'after'));
    await eventually(async () => expect(reconciled('after')).to.equal(true));
    await fixture.admin.delete({ kind: 'CFApp', namespace: 'space', name: 'after' });
    await eventually(async () => expect(reconciled('after', false)).to.equal(true));
  });

  it('maps changes of a watched kind, and runtime changes, to the objects they concern', async () => {
    await fixture.admin.create(app('space', 'owner'));
    await start({
      watches: [
        { kind: 'Secret', affected: (secret) => [{ kind: 'CFApp', namespace: 'space', name: secret.metadata.labels?.['app'] ?? '' }] },
      ],
      runtimeChanges: (change) => [{ kind: 'CFApp', namespace: 'space', name: `runtime-${change.guid}` }],
    });
    await eventually(async () => expect(reconciled('owner')).to.equal(true));
    seen.length = 0;
    await fixture.admin.create({ kind: 'Secret', metadata: { name: 'env', namespace: 'space', labels: { app: 'owner' } }, stringData: {} });
    await eventually(async () => expect(reconciled('owner')).to.equal(true));
    await context.runtime.removeProcess('nothing-runs');
    await context.runtime.applyProcess({
      processGuid: 'p',
      appGuid: 'owner',
      spaceGuid: 'space',
      processType: 'web',
      droplet: { guid: 'd', image: 'i' },
      command: 'c',
      instances: 1,
      memoryMB: 1,
      diskMB: 1,
      healthCheck: { type: 'process' },
      ports: [],
      environment: {},
      revision: '0',
    });
    await eventually(async () => expect(reconciled('runtime-p', false)).to.equal(true));
  });

  it('retries a reconcile that failed until it succeeds', async () => {
    let failures = 2;
    await fixture.admin.create(app('space', 'flaky'));
    await start({
      reconcile: async (_context, ref) => {
        if (failures-- > 0) throw new Error('not yet');
        seen.push({ ref, existed: true });
        return undefined;
      },
    });
    await eventually(async () => expect(reconciled('flaky')).to.equal(true));
    expect(failures).to.be.below(0);
  });
});
