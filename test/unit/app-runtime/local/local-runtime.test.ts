import { expect } from 'chai';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecentAppLogs } from '../../../../src/app-runtime/app-logs.ts';
import type { RuntimeChange } from '../../../../src/app-runtime/app-runtime.ts';
import { LocalRuntime } from '../../../../src/app-runtime/local/local-runtime.ts';
import { until, workload } from './instances/fixtures.ts';
import { fixturesDir, stagingRequest, zipDirectory } from './staging/staging-fixtures.ts';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * The local runtime as the reconcilers use it: the node sample staged from a zip, its droplet run as a
 * process and a task, their lines in the app's log store as log-cache serves them, changes announced,
 * the droplet removed with its build, and a staging in progress stopped by close().
 */
describe('the local runtime (staging, instances and tasks together)', function () {
  this.timeout(60_000);
  let root: string;
  let logs: RecentAppLogs;
  let runtime: LocalRuntime;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cfapi-local-runtime-'));
    logs = new RecentAppLogs({ linesPerApp: 1000 });
    runtime = await LocalRuntime.open({ root, logs });
  });
  after(async () => {
    await runtime.close();
    await rm(root, { recursive: true, force: true });
  });

  it('stages the node sample, runs its web process where endpoints() says, and a task, logging each as CF tags them', async () => {
    const zip = await zipDirectory(join(fixturesDir, 'node-app'));
    const droplet = await runtime.stage(stagingRequest(zip, { buildGuid: 'build-node' }), new AbortController().signal);
    expect(droplet).to.deep.include({ image: 'local-droplet:build-node', buildpack: 'nodejs_buildpack' });
    expect(droplet.processTypes['web']).to.equal('npm start');
    expect(logs.read('app-1').every((line) => line.sourceType === 'STG' && line.instance === '0')).to.equal(true);

    const changes: RuntimeChange[] = [];
    const unsubscribe = runtime.onChange((change) => changes.push(change));
    await runtime.applyProcess(workload({ droplet: { guid: 'build-node', image: droplet.image }, command: droplet.processTypes['web']! }));
    await until('the instance is RUNNING', async () => (await runtime.processInstances('process-1'))[0]?.state === 'RUNNING', 30_000);
    const [endpoint] = runtime.endpoints('app-1', 'web');
    const answer = await fetch(`http://${endpoint!.host}:${endpoint!.port}/`);
    expect(await answer.text()).to.match(/^Hello from node-app instance 0 /);
    expect(changes).to.deep.include({ kind: 'process', guid: 'process-1' });

    await runtime.runTask({
      taskGuid: 'task-1',
      name: 'migrate',
      appGuid: 'app-1',
      spaceGuid: 'space-1',
      command: 'echo migrated',
      droplet: { guid: 'build-node', image: droplet.image },
      memoryMB: 256,
      diskMB: 1024,
      environment: {},
    });
    await until('the task SUCCEEDED', async () => (await runtime.taskStatus('task-1'))?.state === 'SUCCEEDED');
    expect(changes).to.deep.include({ kind: 'task', guid: 'task-1' });
    unsubscribe();
    const lines = logs.read('app-1').map((line) => `${line.sourceType}/${line.instance} ${line.text}`);
    expect(lines).to.include('APP/TASK/migrate/0 migrated');
    expect(
      lines.some((line) => /^APP\/PROC\/WEB\/0 node-app instance 0 listening on port \d+$/.test(line)),
      lines.join('\n'),
    ).to.equal(true);

    await runtime.removeProcess('process-1');
    expect(runtime.endpoints('app-1', 'web')).to.deep.equal([]);
    await runtime.removeDroplet('build-node');
    expect(await exists(join(root, 'droplets', 'build-node.tgz'))).to.equal(false);
  });

  it('stops a staging in progress when it closes, as an abort (no fault of the app)', async () => {
    const slowRoot = await mkdtemp(join(tmpdir(), 'cfapi-local-runtime-slow-'));
    const slow = await LocalRuntime.open({ root: slowRoot, logs });
    try {
      const zip = await zipDirectory(undefined, [
        { name: 'package.json', content: JSON.stringify({ name: 'slow', scripts: { preinstall: 'sleep 30', start: 'node x.js' } }) },
      ]);
      const staging = slow.stage(stagingRequest(zip, { buildGuid: 'build-slow', appGuid: 'app-slow' }), new AbortController().signal);
      await until('the build runs', () => logs.read('app-slow').some((line) => line.text.includes('npm install')), 20_000);
      const started = Date.now();
      await slow.close();
      const failure = await staging.then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((failure as Error | undefined)?.name).to.equal('AbortError');
      expect(Date.now() - started).to.be.below(15_000);
    } finally {
      await slow.close();
      await rm(slowRoot, { recursive: true, force: true });
    }
  });
});
