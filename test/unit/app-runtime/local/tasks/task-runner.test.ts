import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskRunStatus, TaskWorkload } from '../../../../../src/app-runtime/app-runtime.ts';
import { TaskRunner } from '../../../../../src/app-runtime/local/tasks/task-runner.ts';
import { alive, CollectedLogs, fakeUnpack, until } from '../instances/fixtures.ts';

const task = (overrides: Partial<TaskWorkload> = {}): TaskWorkload => ({
  taskGuid: 'task-1',
  name: 'migrate',
  appGuid: 'app-1',
  spaceGuid: 'space-1',
  command: 'exit 0',
  droplet: { guid: 'droplet-1', image: 'local-droplet:web' },
  memoryMB: 256,
  diskMB: 1024,
  environment: {},
  ...overrides,
});

describe('local runtime: task runner', function () {
  this.timeout(20_000);
  let root: string;
  let logs: CollectedLogs;
  let runner: TaskRunner;

  const ended = async (guid = 'task-1'): Promise<TaskRunStatus> => {
    await until(`task ${guid} ended`, async () => (await runner.status(guid))?.state !== 'RUNNING');
    return (await runner.status(guid))!;
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'tasks-'));
    logs = new CollectedLogs();
    runner = new TaskRunner({ root, unpackDroplet: fakeUnpack, logs, timings: { stopGraceMs: 400, usageIntervalMs: 100 } });
  });
  afterEach(async () => {
    await runner.close();
    await rm(root, { recursive: true, force: true });
  });

  it('runs a task to SUCCEEDED, its output logged as APP/TASK/<name>, its working copy removed', async () => {
    process.env.CFAPI_TEST_SERVER_SECRET = 'do-not-leak';
    try {
      const changes: string[] = [];
      runner.onChange((guid) => changes.push(guid));
      const out = join(root, 'env.out');
      await runner.run(
        task({
          command: `echo hello; echo oops >&2; env > "${out}"; pwd >> "${out}"`,
          environment: { GREETING: 'hi' },
          memoryMB: 64,
        }),
      );
      expect((await runner.status('task-1'))?.state).to.equal('RUNNING');
      expect((await ended()).state).to.equal('SUCCEEDED');
      expect(changes).to.deep.equal(['task-1', 'task-1']);
      const lines = logs.lines.filter((line) => line.sourceType === 'APP/TASK/migrate');
      expect(lines.map(({ text, stream, instance }) => ({ text, stream, instance }))).to.deep.include.members([
        { text: 'hello', stream: 'stdout', instance: '0' },
        { text: 'oops', stream: 'stderr', instance: '0' },
        { text: 'Exit status 0', stream: 'stdout', instance: '0' },
      ]);
      const written = readFileSync(out, 'utf8');
      expect(written).to.include('GREETING=hi\n').and.include('CF_INSTANCE_INDEX=0\n').and.include('MEMORY_LIMIT=64m\n');
      expect(written).to.include(`${join(root, 'tasks', 'task-1')}\n`);
      expect(written).to.not.match(/^PORT=/m);
      expect(written).to.not.include('CFAPI_TEST_SERVER_SECRET');
      expect(existsSync(join(root, 'tasks', 'task-1'))).to.equal(false);
    } finally {
      delete process.env.CFAPI_TEST_SERVER_SECRET;
    }
  });

  it("fails a task that exits non-zero, or is killed by a signal, with CF's reason", async () => {
    await runner.run(task({ command: 'exit 4' }));
    expect(await ended()).to.deep.include({ state: 'FAILED', reason: 'APP/TASK/migrate: Exited with status 4', canceled: false });
    await runner.run(task({ taskGuid: 'task-2', name: 'killed', command: 'kill -KILL $$' }));
    expect(await ended('task-2')).to.deep.include({ state: 'FAILED', reason: 'APP/TASK/killed: Exited with status 137', canceled: false });
  });

  it('runs a task at most once per GUID', async () => {
    const out = join(root, 'runs');
    mkdirSync(out);
    await runner.run(task({ command: `echo run > "${out}/$CF_INSTANCE_GUID"` }));
    await runner.run(task({ command: `echo run > "${out}/$CF_INSTANCE_GUID"` }));
    await ended();
    await runner.run(task({ command: `echo run > "${out}/$CF_INSTANCE_GUID"` }));
    await ended();
    expect(readdirSync(out)).to.have.length(1);
  });

  it('cancels a task that ignores SIGTERM: SIGKILL after the grace period, FAILED as cancelled', async () => {
    const pids = join(root, 'pids-seen');
    mkdirSync(pids);
    await runner.run(
      task({
        command: `trap '' TERM; (while :; do sleep 0.1; done) & echo $! > "${pids}/child"; while :; do sleep 0.1; done`,
      }),
    );
    await until('child started', () => existsSync(join(pids, 'child')));
    const child = Number(readFileSync(join(pids, 'child'), 'utf8'));
    const cancelling = Date.now();
    await runner.cancel('task-1');
    expect(Date.now() - cancelling).to.be.at.least(350);
    expect(await runner.status('task-1')).to.deep.include({ state: 'FAILED', reason: 'task was cancelled', canceled: true });
    expect(alive(child)).to.equal(false);
    expect(existsSync(join(root, 'tasks', 'task-1'))).to.equal(false);
    await runner.remove('task-1');
    expect(await runner.status('task-1')).to.equal(undefined);
  });

  it('kills a task over its memory limit: FAILED out of memory', async () => {
    await runner.run(task({ command: `exec "${process.execPath}" hog.js`, memoryMB: 100 }));
    expect(await ended()).to.deep.include({ state: 'FAILED', reason: 'APP/TASK/migrate: Exited with status 137 (out of memory)' });
  });

  it('fails a task whose droplet cannot be unpacked', async () => {
    await runner.run(task({ droplet: { guid: 'gone', image: 'local-droplet:missing' } }));
    const status = await ended();
    expect(status).to.deep.include({ state: 'FAILED', canceled: false });
    expect(status.state === 'FAILED' && status.reason).to.equal('Failed to start task: no droplet local-droplet:missing');
  });
});
