import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { InstanceStatus } from '../../../../../src/app-runtime/app-runtime.ts';
import { diegoCrashBackoff, nextCrashCount, restartDelayMs } from '../../../../../src/app-runtime/local/instances/crash-backoff.ts';
import { GroupRecords } from '../../../../../src/app-runtime/local/instances/group-records.ts';
import { ProcessSupervisor, type SupervisorTimings } from '../../../../../src/app-runtime/local/instances/process-supervisor.ts';
import { alive, CollectedLogs, fakeUnpack, sleep, until, workload } from './fixtures.ts';

const fast: Partial<SupervisorTimings> = {
  healthCheckIntervalMs: 50,
  livenessIntervalMs: 200,
  stopGraceMs: 2_000,
  usageIntervalMs: 100,
  diskIntervalMs: 100,
};
/** Backoff that leaves a crashed instance CRASHED (for tests of why it crashed). */
const noRestart = { ...diegoCrashBackoff, immediateRestarts: 0, minDelayMs: 60_000 };

describe('local runtime: process supervisor', function () {
  this.timeout(20_000);
  let root: string;
  let logs: CollectedLogs;
  let supervisor: ProcessSupervisor;
  const strays: ChildProcess[] = [];

  const start = (timings: Partial<SupervisorTimings> = {}): ProcessSupervisor => {
    supervisor = new ProcessSupervisor({ root, unpackDroplet: fakeUnpack, logs, timings: { ...fast, ...timings } });
    return supervisor;
  };
  const stateOf = async (index = 0, guid = 'process-1'): Promise<InstanceStatus | undefined> =>
    (await supervisor.instances(guid)).find((instance) => instance.index === index);
  const untilState = (state: string, index = 0, timeoutMs = 10_000): Promise<void> =>
    until(`instance ${index} ${state}`, async () => (await stateOf(index))?.state === state, timeoutMs);
  const get = async (path: string, index = 0): Promise<Response> => {
    const endpoint = supervisor.endpoints('app-1', 'web').find((candidate) => candidate.index === index)!;
    return fetch(`http://${endpoint.host}:${endpoint.port}${path}`);
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'supervisor-'));
    logs = new CollectedLogs();
  });
  afterEach(async () => {
    await supervisor?.close();
    for (const child of strays.splice(0)) if (child.pid !== undefined && alive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  it('starts an instance that passes its port check, with the environment CF gives it and nothing of the server', async () => {
    process.env.CFAPI_TEST_SERVER_SECRET = 'do-not-leak';
    try {
      start();
      await supervisor.apply(
        workload({
          memoryMB: 128,
          environment: { GREETING: 'hello', PORT: '1', VCAP_APPLICATION: JSON.stringify({ application_name: 'demo', instance_index: 9 }) },
        }),
      );
      expect((await stateOf())?.state).to.equal('STARTING');
      await untilState('RUNNING');
      const [endpoint] = supervisor.endpoints('app-1', 'web');
      expect(endpoint).to.include({ index: 0, host: '127.0.0.1' });
      const { env, cwd } = (await (await get('/env')).json()) as { env: Record<string, string>; cwd: string };
      expect(env).to.include({
        GREETING: 'hello',
        PORT: String(endpoint!.port),
        VCAP_APP_PORT: String(endpoint!.port),
        CF_INSTANCE_PORT: String(endpoint!.port),
        CF_INSTANCE_ADDR: `127.0.0.1:${endpoint!.port}`,
        CF_INSTANCE_IP: '127.0.0.1',
        CF_INSTANCE_INTERNAL_IP: '127.0.0.1',
        CF_INSTANCE_INDEX: '0',
        INSTANCE_INDEX: '0',
        MEMORY_LIMIT: '128m',
        HOME: cwd,
      });
      expect(env.CF_INSTANCE_GUID)
        .to.match(/^[0-9a-f-]{36}$/)
        .and.equal(env.INSTANCE_GUID);
      expect(env.TMPDIR).to.equal(join(cwd, 'tmp'));
      expect(existsSync(env.TMPDIR!)).to.equal(true);
      expect(cwd.startsWith(join(root, 'instances', 'process-1', '0-'))).to.equal(true);
      expect(env.PATH!.split(':')[0]).to.equal(dirname(process.execPath));
      expect(JSON.parse(env.VCAP_APPLICATION!)).to.deep.equal({
        application_name: 'demo',
        instance_index: 0,
        instance_id: env.CF_INSTANCE_GUID,
        port: endpoint!.port,
        host: '127.0.0.1',
      });
      expect(env).to.not.have.property('CFAPI_TEST_SERVER_SECRET');
      expect(Object.keys(env).filter((name) => !/^(CF_|VCAP_|INSTANCE_)/.test(name))).to.have.members([
        'GREETING',
        'PORT',
        'PATH',
        'LANG',
        'HOME',
        'TMPDIR',
        'MEMORY_LIMIT',
        // What sh and node add themselves.
        ...Object.keys(env).filter((name) => ['PWD', 'SHLVL', '_', 'OLDPWD'].includes(name)),
      ]);
      const app = logs.lines.filter((line) => line.sourceType === 'APP/PROC/WEB');
      expect(app).to.deep.include.members([
        { ...app.find((line) => line.stream === 'stdout')!, text: `listening on ${endpoint!.port}`, instance: '0' },
        { ...app.find((line) => line.stream === 'stderr')!, text: 'a line on stderr', instance: '0' },
      ]);
      expect(logs.texts('CELL')).to.include.members(['Starting health monitoring of container', 'Container became healthy']);
    } finally {
      delete process.env.CFAPI_TEST_SERVER_SECRET;
    }
  });

  it("runs in the droplet's app/ dir, with its .profile.d sourced, and reaches RUNNING by an http check", async () => {
    start();
    await supervisor.apply(
      workload({
        droplet: { guid: 'droplet-2', image: 'local-droplet:nested' },
        healthCheck: { type: 'http', endpoint: '/health' },
        environment: { START_DELAY_MS: '300' },
      }),
    );
    await untilState('RUNNING');
    const { env, cwd } = (await (await get('/env')).json()) as { env: Record<string, string>; cwd: string };
    expect(cwd).to.match(/\/0-\d+\/app$/);
    expect(env.HOME).to.equal(cwd);
    expect(env.FROM_PROFILE_D).to.equal('yes');
  });

  it('reaches RUNNING at once with a process check (a worker with no port)', async () => {
    start();
    await supervisor.apply(workload({ command: 'echo working; exec sleep 30', healthCheck: { type: 'process' } }));
    await untilState('RUNNING', 0, 3_000);
    expect(supervisor.endpoints('app-1', 'web')).to.have.length(1);
  });

  it("crashes an instance whose check never passes within the timeout, in Diego's words", async () => {
    start({ backoff: noRestart });
    const changes: string[] = [];
    supervisor.onChange((guid) => changes.push(guid));
    await supervisor.apply(workload({ command: 'exec sleep 30', healthCheck: { type: 'port', timeoutSeconds: 1 } }));
    await untilState('CRASHED', 0, 5_000);
    expect(logs.texts('CELL').some((text) => /^Failed after \d+\.\ds: startup health check never passed\.$/.test(text))).to.equal(true);
    expect(
      logs
        .texts('HEALTH')
        .some((text) => /waiting for startup check to succeed: Failed to make TCP connection to port \d+: connection refused$/.test(text)),
    ).to.equal(true);
    expect(
      logs.texts('CELL').some((text) => text.includes('CRASHED (Instance never healthy after 1.0s: Failed to make TCP connection')),
    ).to.equal(true);
    expect(changes.length).to.be.at.least(2);
    expect(supervisor.endpoints('app-1', 'web')).to.deep.equal([]);
  });

  it('crashes an instance whose http endpoint answers 500', async () => {
    start({ backoff: noRestart });
    await supervisor.apply(workload({ healthCheck: { type: 'http', endpoint: '/fail', timeoutSeconds: 1 } }));
    await untilState('CRASHED', 0, 5_000);
    expect(
      logs
        .texts('HEALTH')
        .some((text) => text.includes("Failed to make HTTP request to '/fail' on port") && text.includes('received status code 500')),
    ).to.equal(true);
  });

  it('crashes a RUNNING instance whose liveness check fails', async () => {
    start({ backoff: noRestart });
    await supervisor.apply(workload({ environment: { STOP_LISTENING_MS: '300' } }));
    await untilState('RUNNING');
    await untilState('CRASHED', 0, 5_000);
    expect(logs.texts('CELL')).to.include('Container became unhealthy');
    expect(logs.texts('CELL').some((text) => text.includes('CRASHED (Instance became unhealthy: Failed to make TCP connection'))).to.equal(
      true,
    );
  });

  it('keeps instances running when the same spec is applied again (apply is idempotent)', async () => {
    start();
    await supervisor.apply(workload({ instances: 2, environment: { B: '2', A: '1' } }));
    await until('2 RUNNING', async () => (await supervisor.instances('process-1')).every((instance) => instance.state === 'RUNNING'));
    const before = supervisor.endpoints('app-1', 'web');
    await supervisor.apply(workload({ instances: 2, environment: { A: '1', B: '2' } }));
    expect((await supervisor.instances('process-1')).map((instance) => instance.state)).to.deep.equal(['RUNNING', 'RUNNING']);
    expect(supervisor.endpoints('app-1', 'web')).to.deep.equal(before);
    expect(supervisor.endpoints('app-1', 'worker')).to.deep.equal([]);
    expect(new Set(before.map((endpoint) => endpoint.port)).size).to.equal(2);
  });

  it('crashes an instance whose droplet cannot be unpacked', async () => {
    start({ backoff: noRestart });
    await supervisor.apply(workload({ droplet: { guid: 'gone', image: 'local-droplet:missing' } }));
    await untilState('CRASHED', 0, 3_000);
    expect(logs.texts('CELL')).to.include('Failed to start instance: no droplet local-droplet:missing');
  });

  it("restarts a crashing instance with Diego's backoff and gives up after the last attempt", async () => {
    start({ backoff: { immediateRestarts: 3, minDelayMs: 400, maxDelayMs: 1_600, maxRestarts: 4, resetAfterMs: 60_000 } });
    const states: string[] = [];
    supervisor.onChange(() => void stateOf().then((status) => states.push(status?.state ?? 'none')));
    const startedAt: number[] = [];
    const write = logs.write.bind(logs);
    logs.write = (line) => {
      if (line.text === 'started') startedAt.push(Date.now());
      write(line);
    };
    await supervisor.apply(workload({ command: 'echo started; exit 3', healthCheck: { type: 'process' } }));
    await until(
      'four starts',
      () => logs.texts('CELL').some((text) => text.startsWith('Not restarting instance 0 again after 4 crashes')),
      8_000,
    );
    expect(startedAt).to.have.length(4);
    // Crashes 1 and 2 restart at once; crash 3 waits minDelayMs; crash 4 reaches maxRestarts.
    expect(startedAt[2]! - startedAt[0]!).to.be.below(1_500);
    expect(startedAt[3]! - startedAt[2]!).to.be.at.least(390);
    expect(logs.texts('APP/PROC/WEB').filter((text) => text === 'Exit status 3')).to.have.length(4);
    expect(logs.texts('CELL').filter((text) => text.includes('CRASHED (APP/PROC/WEB: Exited with status 3)'))).to.have.length(4);
    expect((await stateOf())?.state).to.equal('CRASHED');
    expect(states).to.include('CRASHED');
    await sleep(300);
    expect(startedAt).to.have.length(4);
  });

  it("computes Diego's restart delays and resets the crash count after five minutes RUNNING", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 199, 200].map((count) => restartDelayMs(count, diegoCrashBackoff));
    expect(delays).to.deep.equal([0, 0, 30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 960_000, 960_000, undefined]);
    expect(nextCrashCount(7, 5 * 60_000 + 1, diegoCrashBackoff)).to.equal(1);
    expect(nextCrashCount(7, 60_000, diegoCrashBackoff)).to.equal(8);
    expect(nextCrashCount(7, undefined, diegoCrashBackoff)).to.equal(8);
  });

  it('scales up and down, stopping the highest indexes, and restarts one instance', async () => {
    const pids = join(root, 'pids-seen');
    mkdirSync(pids);
    start();
    const spec = workload({
      command: `echo $$ > "${pids}/$CF_INSTANCE_INDEX-$CF_INSTANCE_GUID"; exec sleep 30`,
      healthCheck: { type: 'process' },
      instances: 3,
    });
    await supervisor.apply(spec);
    await until('3 RUNNING', async () => (await supervisor.instances('process-1')).filter((i) => i.state === 'RUNNING').length === 3);
    await until('3 pid files', () => readdirSync(pids).length === 3);
    const pidOf = (index: number): number =>
      Number(
        readFileSync(
          join(
            pids,
            readdirSync(pids).find((name) => name.startsWith(`${index}-`))!,
          ),
          'utf8',
        ),
      );
    const [first, second, third] = [pidOf(0), pidOf(1), pidOf(2)];
    await supervisor.apply({ ...spec, instances: 1 });
    expect((await supervisor.instances('process-1')).map((instance) => instance.index)).to.deep.equal([0]);
    await until('indexes 1 and 2 stopped', () => !alive(second) && !alive(third));
    expect(alive(first)).to.equal(true);
    expect(await supervisor.restartInstance('process-1', 5)).to.equal(false);
    expect(await supervisor.restartInstance('process-1', 0)).to.equal(true);
    await until('index 0 replaced', () => !alive(first));
    await untilState('RUNNING');
    await until('one working copy left', () => readdirSync(join(root, 'instances', 'process-1')).length === 1);
    await supervisor.remove('process-1');
    expect(await supervisor.instances('process-1')).to.deep.equal([]);
    expect(existsSync(join(root, 'instances', 'process-1'))).to.equal(false);
  });

  it('replaces a changed instance rolling: a RUNNING endpoint answers all through the roll', async () => {
    start();
    const spec = workload({ environment: { START_DELAY_MS: '500' }, healthCheck: { type: 'http' } });
    await supervisor.apply(spec);
    await untilState('RUNNING');
    const [before] = supervisor.endpoints('app-1', 'web');
    const oldGuid = await (await get('/')).text();
    await supervisor.apply({ ...spec, revision: '2' });
    expect((await stateOf())?.state).to.equal('STARTING');
    const seen: number[] = [];
    await until(
      'the old instance gone',
      () => {
        const endpoints = supervisor.endpoints('app-1', 'web');
        expect(endpoints, 'no endpoint during the roll').to.not.deep.equal([]);
        for (const { port } of endpoints) if (seen.at(-1) !== port) seen.push(port);
        return endpoints.length === 1 && endpoints[0]!.port !== before!.port;
      },
      10_000,
    );
    // The old instance served while the new one started (its check waits 500 ms), then the new one took over.
    expect(seen).to.have.length(2);
    expect(seen[0]).to.equal(before!.port);
    expect(await (await get('/')).text()).to.not.equal(oldGuid);
    expect((await stateOf())?.state).to.equal('RUNNING');
  });

  it('does not wait forever on a new generation that crashes: the old instance stops then', async () => {
    start({ backoff: noRestart });
    const spec = workload();
    await supervisor.apply(spec);
    await untilState('RUNNING');
    expect(supervisor.endpoints('app-1', 'web')).to.have.length(1);
    await supervisor.apply({ ...spec, command: 'exit 1', revision: '2' });
    await untilState('CRASHED');
    expect(supervisor.endpoints('app-1', 'web')).to.deep.equal([]);
    await until('no working copy left', () => readdirSync(join(root, 'instances', 'process-1')).length === 0);
  });

  it('kills what a crashed instance left running in its group', async () => {
    const pids = join(root, 'pids-seen');
    mkdirSync(pids);
    start({ backoff: noRestart });
    await supervisor.apply(workload({ command: `sleep 30 & echo $! > "${pids}/child"; exit 1`, healthCheck: { type: 'process' } }));
    await untilState('CRASHED');
    const child = Number(readFileSync(join(pids, 'child'), 'utf8'));
    await until('the child killed', () => !alive(child), 3_000);
  });

  it('stops a process that ignores SIGTERM with SIGKILL after the grace period, grandchildren too', async () => {
    const pids = join(root, 'pids-seen');
    mkdirSync(pids);
    start({ stopGraceMs: 500 });
    const script = [
      "trap '' TERM",
      `(while :; do sleep 0.1; done) & echo $! > "${pids}/grandchild"`,
      `echo $$ > "${pids}/leader"`,
      'while :; do sleep 0.1; done',
    ].join('\n');
    await supervisor.apply(workload({ command: script, healthCheck: { type: 'process' } }));
    await until('pid files', () => existsSync(join(pids, 'grandchild')) && existsSync(join(pids, 'leader')));
    const leader = Number(readFileSync(join(pids, 'leader'), 'utf8'));
    const grandchild = Number(readFileSync(join(pids, 'grandchild'), 'utf8'));
    expect(alive(leader) && alive(grandchild)).to.equal(true);
    const stopping = Date.now();
    await supervisor.remove('process-1');
    expect(Date.now() - stopping).to.be.at.least(450);
    expect(alive(leader)).to.equal(false);
    expect(alive(grandchild)).to.equal(false);
    expect(logs.texts('CELL').some((text) => text.includes('did not exit within 0.5s of SIGTERM: killed'))).to.equal(true);
  });

  it('reports plausible usage: CPU of a busy loop, memory and disk', async () => {
    start();
    await supervisor.apply(workload({ command: `exec "${process.execPath}" busy.js`, healthCheck: { type: 'process' } }));
    await untilState('RUNNING');
    await until('usage sampled', async () => ((await stateOf())?.usage?.cpu ?? 0) > 0.3, 5_000);
    const { usage } = (await stateOf())!;
    expect(usage!.memoryBytes).to.be.above(10 * 1024 * 1024);
    expect(usage!.diskBytes).to.be.above(100);
  });

  it('kills an instance over its memory limit and reports it CRASHED out of memory', async () => {
    start({ backoff: noRestart });
    await supervisor.apply(workload({ command: `exec "${process.execPath}" hog.js`, healthCheck: { type: 'process' }, memoryMB: 100 }));
    await untilState('CRASHED', 0, 8_000);
    expect(logs.texts('APP/PROC/WEB')).to.include('Exit status 137 (out of memory)');
    expect(logs.texts('CELL').some((text) => text.includes('CRASHED (APP/PROC/WEB: Exited with status 137 (out of memory))'))).to.equal(
      true,
    );
  });

  it('ends the groups a previous server recorded, and leaves an unrelated process with a reused PID alone', async () => {
    const spawnGroup = (): ChildProcess => {
      const child = spawn('/bin/sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' });
      strays.push(child);
      return child;
    };
    const stale = spawnGroup();
    const unrelated = spawnGroup();
    await sleep(100);
    new GroupRecords(join(root, 'pids')).record(stale.pid!, 'process-0/0');
    // A record whose leader's start time differs: the PID now belongs to somebody else.
    writeFileSync(join(root, 'pids', `${unrelated.pid}.json`), JSON.stringify({ pgid: unrelated.pid, startTime: 1, what: 'x' }));
    mkdirSync(join(root, 'instances', 'process-0', '0-1'), { recursive: true });
    start({ stopGraceMs: 300 });
    await supervisor.cleanUpStale();
    await until('the stale group gone', () => !alive(stale.pid!), 3_000);
    expect(alive(unrelated.pid!)).to.equal(true);
    expect(existsSync(join(root, 'instances'))).to.equal(false);
    expect(readdirSync(join(root, 'pids'))).to.deep.equal([]);
  });

  it('stops everything on close and leaves no process behind', async () => {
    const pids = join(root, 'pids-seen');
    mkdirSync(pids);
    start();
    await supervisor.apply(
      workload({ command: `echo $$ > "${pids}/$CF_INSTANCE_INDEX"; exec sleep 30`, healthCheck: { type: 'process' }, instances: 2 }),
    );
    await until('pid files', () => readdirSync(pids).length === 2);
    const running = readdirSync(pids).map((name) => Number(readFileSync(join(pids, name), 'utf8')));
    await supervisor.close();
    expect(running.filter(alive)).to.deep.equal([]);
    expect(readdirSync(join(root, 'pids'))).to.deep.equal([]);
    await supervisor.apply(workload());
    expect(await supervisor.instances('process-1')).to.deep.equal([]);
  });
});
