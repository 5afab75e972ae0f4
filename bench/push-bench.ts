import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { locateCfCli } from '../test/e2e/support/cf-cli.ts';
import { projectRoot } from '../test/support/server-process.ts';
import {
  adminToken,
  apiClient,
  cfOk,
  cpuMicros,
  processesOfApp,
  rssKb,
  runCf,
  startPushServer,
  stopPushServer,
  tracedRequests,
  type CfRun,
  type PushServer,
} from './push-support.ts';
import { median, printSummaries, roundCount, summarize, type Sample } from './rounds.ts';
import { printSetup, storageOf } from './setup.ts';

/**
 * `npm run bench:push`: the local runtime as a developer meets it, with the real cf CLI against
 * `npm start` (a process of its own, its router on a free port), logged in as the admin of its data
 * directory's kubeconfig. Prints figures; asserts nothing.
 *
 * 1. `cf push <name>` of the static sample and of the Node sample from the app's directory, a new app
 *    each round with a file of its own (so the CLI uploads, as after an edit, rather than finding every
 *    file in the server's resource cache), wall time until the CLI exits (it has seen an instance
 *    running), split into phases seen from the server: the bench polls the API every 100 ms with the
 *    admin's token beside the CLI
 *    (app created, package uploaded, build created, build STAGED, droplet set, first instance RUNNING)
 *    and times the CLI's output lines; the CLI's polling lag is the time between the server reaching a
 *    state and the CLI acting on it (STAGED → droplet set, RUNNING → exit).
 * 2. Requests per second of the pushed Node app straight at its instance's port and through the
 *    server's router, interleaved rounds in one run, with CPU per request of the server (API, router
 *    and runtime in one process) and of the instance; with 2+ cores the server and the instance share
 *    core 1 and the load generator takes core 0 during this part, as in bench/router-bench.ts.
 * 3. `cf scale -i 50` of the Procfile sample (one node process per instance): time until all 50 are
 *    RUNNING, then a watch (BENCH_WATCH_SECONDS, 30) that none is lost (all stay RUNNING, no uptime goes
 *    back) while requests through the router reach distinct instances; RSS of the server and of the
 *    instances.
 *
 * Options: `--rounds N` or BENCH_ROUNDS (3): push rounds and router rounds; BENCH_SECONDS per router run
 * (5); BENCH_CONNECTIONS (32); BENCH_INSTANCES (50); BENCH_SCALE_MEMORY (64M); BENCH_PIN=0 to leave every
 * process on every core; BENCH_NODE_ARGS: node options for the server (`--cpu-prof --cpu-prof-dir=DIR`). CF_CLI: the cf binary (else ../shared/tools/cf-cli/cf, else `cf` on PATH).
 */

const { values: flags } = parseArgs({ options: { rounds: { type: 'string' } } });
const rounds = roundCount(flags.rounds, 3);
const routerSeconds = Number(process.env['BENCH_SECONDS'] ?? 5);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const instanceCount = Number(process.env['BENCH_INSTANCES'] ?? 50);
const scaleMemory = process.env['BENCH_SCALE_MEMORY'] ?? '64M';
const watchSeconds = Number(process.env['BENCH_WATCH_SECONDS'] ?? 30);
const pollMs = 100;

const seconds = (ms: number) => ms / 1000;
const sampleDir = (name: string) => join(projectRoot, 'test', 'fixtures', 'apps', name);
const sharedCli = join(projectRoot, '..', 'shared', 'tools', 'cf-cli', 'cf');

function cfBinary(): string {
  if (process.env['CF_CLI']) return locateCfCli();
  try {
    return locateCfCli({ ...process.env, CF_CLI: sharedCli });
  } catch {
    return locateCfCli();
  }
}

type Api = ReturnType<typeof apiClient>;
type List = { resources: Record<string, unknown>[] };
type Stats = { resources: { index: number; state: string; uptime: number; usage: { mem: number } }[] };

/** When (ms since the push began) the server reached each state of a push, polled every 100 ms. */
type Timeline = {
  app?: number;
  uploaded?: number;
  buildCreated?: number;
  staged?: number;
  droplet?: number;
  running?: number;
  appGuid?: string;
};

/** What following one push needs, and what it found so far. */
type Follow = { api: Api; spaceGuid: string; name: string; now: () => number; timeline: Timeline; processGuid?: string | undefined };

/** The states of a push in order: each step asks the API once and answers whether its state is reached. */
const pushSteps: ((follow: Follow) => Promise<boolean>)[] = [
  async ({ api, spaceGuid, name, now, timeline }) => {
    const app = (await api<List>(`/v3/apps?names=${name}&space_guids=${spaceGuid}`)).resources[0];
    if (app) [timeline.appGuid, timeline.app] = [app['guid'] as string, now()];
    return app !== undefined;
  },
  async ({ api, now, timeline }) => {
    const packages = await api<List>(`/v3/packages?app_guids=${timeline.appGuid}`);
    const ready = packages.resources.some((pkg) => pkg['state'] === 'READY');
    if (ready) timeline.uploaded = now();
    return ready;
  },
  async ({ api, name, now, timeline }) => {
    const build = (await api<List>(`/v3/builds?app_guids=${timeline.appGuid}`)).resources[0];
    if (build) timeline.buildCreated ??= now();
    if (build?.['state'] === 'FAILED') throw new Error(`staging of ${name} failed: ${JSON.stringify(build['error'])}`);
    if (build?.['state'] === 'STAGED') timeline.staged = now();
    return timeline.staged !== undefined;
  },
  async ({ api, now, timeline }) => {
    const current = await api<{ data: { guid: string } | null }>(`/v3/apps/${timeline.appGuid}/relationships/current_droplet`).catch(
      () => ({
        data: null,
      }),
    );
    if (current.data?.guid) timeline.droplet = now();
    return timeline.droplet !== undefined;
  },
  async (follow) => {
    const { api, now, timeline } = follow;
    follow.processGuid ??= (await api<List>(`/v3/apps/${timeline.appGuid}/processes`)).resources.find(
      (process) => process['type'] === 'web',
    )?.['guid'] as string | undefined;
    if (follow.processGuid === undefined) return false;
    const stats = await api<Stats>(`/v3/processes/${follow.processGuid}/stats`);
    if (stats.resources.some((instance) => instance.state === 'RUNNING')) timeline.running = now();
    return timeline.running !== undefined;
  },
];

/**
 * Follows a push from the server's side until an instance is RUNNING or `done()` says the CLI has
 * exited. Each tick asks only about the next state, and at once about the following one when a state
 * was reached, so states reached together are seen in the same tick.
 */
async function followPush(follow: Omit<Follow, 'timeline'>, done: () => boolean): Promise<Timeline> {
  const state: Follow = { ...follow, timeline: {} };
  for (let step = 0; step < pushSteps.length;) {
    if (await pushSteps[step]!(state)) step++;
    else if (done()) break;
    else await sleep(pollMs);
  }
  return state.timeline;
}

/** One timed `cf push` of a sample from a fresh copy of its directory, with its timeline from the server's side. */
async function timedPush(
  context: Context,
  sample: string,
  name: string,
  extraArgs: string[] = [],
): Promise<{ run: CfRun; timeline: Timeline; requests: ReturnType<typeof tracedRequests> }> {
  const directory = join(context.tempDir, `${name}`);
  await cp(sampleDir(sample), directory, { recursive: true });
  // A file of its own, as an edited app has: the CLI uploads it (with its progress bar) instead of finding
  // every file in the server's resource cache, as it would from the second push of the same files on.
  await writeFile(join(directory, 'bench-push.txt'), `${name}\n`);
  const trace = join(context.tempDir, `${name}.trace`);
  const startedAt = performance.now();
  let finished = false;
  // Settled at once (its error kept for later), so that a failure while the CLI still runs is no unhandled rejection.
  const following = followPush(
    { api: context.api, spaceGuid: context.spaceGuid, name, now: () => performance.now() - startedAt },
    () => finished,
  ).then(
    (timeline) => ({ timeline }),
    (error: unknown) => ({ error }),
  );
  const run = await runCf(context.cli, ['push', name, ...extraArgs], {
    cwd: directory,
    trace,
    markers: ['Uploading files...', 'Staging app and tracing logs...', `Waiting for app ${name} to start...`],
  });
  finished = true;
  const followed = await following;
  if (run.code !== 0) throw new Error(`cf push ${name} exited ${run.code}:\n${run.output}`);
  if ('error' in followed) throw followed.error;
  const { timeline } = followed;
  const requests = tracedRequests(await readFile(trace, 'utf8'));
  return { run, timeline, requests };
}

type Context = {
  server: PushServer;
  api: Api;
  cli: { binary: string; home: string; kubeconfig: string };
  spaceGuid: string;
  tempDir: string;
  dataDir: string;
};

/** Part 1: the figures of one push of one sample. */
async function pushRound(context: Context, sample: string, label: string, name: string): Promise<Sample[]> {
  const { run, timeline, requests } = await timedPush(context, sample, name);
  const at = (value: number | undefined, what: string) => {
    if (value === undefined) throw new Error(`cf push ${name}: the bench never saw "${what}"`);
    return value;
  };
  const [app, uploaded, buildCreated, staged, droplet, running] = [
    at(timeline.app, 'app created'),
    at(timeline.uploaded, 'package READY'),
    at(timeline.buildCreated, 'build created'),
    at(timeline.staged, 'build STAGED'),
    at(timeline.droplet, 'droplet set'),
    at(timeline.running, 'instance RUNNING'),
  ];
  const buildPolls = requests.filter((request) => request.method === 'GET' && /^\/v3\/builds\/[^/?]+$/.test(request.path)).length;
  const statsPolls = requests.filter((request) => /^\/v3\/processes\/[^/]+\/stats$/.test(request.path)).length;
  const lag = droplet - staged + (run.wallMs - running);
  const figure = (what: string, value: number, unit = 's'): Sample => ({ name: `${label}: ${what}`, value, unit });
  return [
    figure('cf push wall time, until the CLI exits', seconds(run.wallMs)),
    figure('  start → app created (CLI start-up, manifest)', seconds(app)),
    figure('  app created → package uploaded (READY)', seconds(uploaded - app)),
    figure('  package uploaded → build created', seconds(buildCreated - uploaded)),
    figure('  staging (build created → STAGED)', seconds(staged - buildCreated)),
    figure('  STAGED → droplet set (CLI build polling)', seconds(droplet - staged)),
    figure('  droplet set → first instance RUNNING', seconds(running - droplet)),
    figure('  RUNNING → CLI exits (CLI stats polling, summary)', seconds(run.wallMs - running)),
    figure('  CLI polling lag in all', seconds(lag)),
    figure('  share of the wall time that is polling lag', (100 * lag) / run.wallMs, '%'),
    figure('  CLI printed "Staging app…"', seconds(run.markers['Staging app and tracing logs...'] ?? NaN)),
    figure('  CLI printed "Waiting for app to start…"', seconds(run.markers[`Waiting for app ${name} to start...`] ?? NaN)),
    figure('  requests the CLI sent', requests.length, 'requests'),
    figure('  of which build polls (GET /v3/builds/:guid)', buildPolls, 'requests'),
    figure('  of which stats polls (GET /v3/processes/:guid/stats)', statsPolls, 'requests'),
  ];
}

/** Pins processes (all their threads) to these cores; false when taskset is missing or refused. */
function pinTo(cores: string, pids: readonly number[]): boolean {
  try {
    for (const pid of pids) execFileSync('taskset', ['-a', '-cp', cores, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

type Run = { requestsPerSecond: number; p50: number; p99: number; errors: number; cpu: number[] };

/** One timed run, with the CPU time each group of `processes` spent per request meanwhile. */
async function loadRun(url: string, host: string | undefined, duration: number, processes: readonly (readonly number[])[]): Promise<Run> {
  const cpuOf = (pids: readonly number[]) => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const before = processes.map(cpuOf);
  const result = await autocannon({ url, ...(host ? { headers: { host } } : {}), connections, duration });
  return {
    requestsPerSecond: result.requests.total / (result.duration || duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpu: processes.map((pids, index) => (cpuOf(pids) - before[index]!) / Math.max(1, result.requests.total)),
  };
}

/** Part 2: the router of the server in front of the pushed app's instance, against the instance straight. */
async function routerThroughput(context: Context, name: string, appGuid: string): Promise<void> {
  const instance = processesOfApp(appGuid);
  const port = instance.find((found) => found.port !== undefined)?.port;
  if (port === undefined) throw new Error(`no process of ${name} has a PORT`);
  const instancePids = instance.map((found) => found.pid);
  const host = `${name}.apps.localhost:${context.server.routerPort}`;
  const allCores = `0-${cpus().length - 1}`;
  const pinned =
    process.env['BENCH_PIN'] !== '0' &&
    cpus().length >= 2 &&
    pinTo('1', [context.server.pid, ...instancePids]) &&
    pinTo('0', [process.pid]);
  process.stdout.write(
    `\nRouter throughput: ${name} (the Node sample, ${instancePids.length} processes: npm start and node) on port ${port}, ` +
      `straight and through the router at 127.0.0.1:${context.server.routerPort} (Host ${host})\n` +
      `  load: autocannon, ${connections} connections, ${rounds} interleaved rounds of ${routerSeconds} s after a 1 s warm-up of each; ` +
      `${pinned ? 'server and instance on core 1, load generator on core 0' : 'everything shares the cores'}\n`,
  );
  try {
    const straightUrl = `http://127.0.0.1:${port}/`;
    const routedUrl = `http://127.0.0.1:${context.server.routerPort}/`;
    await loadRun(straightUrl, undefined, 1, []);
    await loadRun(routedUrl, host, 1, []);
    const direct: Run[] = [];
    const routed: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      direct.push(await loadRun(straightUrl, undefined, routerSeconds, [instancePids]));
      routed.push(await loadRun(routedUrl, host, routerSeconds, [instancePids, [context.server.pid]]));
    }
    const print = (label: string, runs: readonly Run[], names: readonly string[]) => {
      const throughput = runs.map((run) => run.requestsPerSecond);
      const spread = `${Math.round(Math.min(...throughput)).toLocaleString('en')}–${Math.round(Math.max(...throughput)).toLocaleString('en')}`;
      process.stdout.write(
        `  ${label.padEnd(22)} ${Math.round(median(throughput)).toLocaleString('en').padStart(8)} req/s  (${spread}), ` +
          `p50 ${median(runs.map((run) => run.p50))} ms, p99 ${median(runs.map((run) => run.p99))} ms, ` +
          `${runs.reduce((sum, run) => sum + run.errors, 0)} errors; CPU per request: ` +
          names.map((what, index) => `${what} ${median(runs.map((run) => run.cpu[index]!)).toFixed(0)} µs`).join(', ') +
          '\n',
      );
      return median(throughput);
    };
    const straight = print('straight to the app', direct, ['app']);
    const through = print('through the router', routed, ['app', 'server (router)']);
    process.stdout.write(`  ratio: ${((100 * through) / straight).toFixed(1)} % of the app's own throughput (target ≥ 50 %)\n`);
  } finally {
    if (pinned) pinTo(allCores, [context.server.pid, ...instancePids, process.pid]);
  }
}

/** GET / through the router for `host` (node:http: fetch sends no Host of its own): the instance index the Procfile sample answers with, or undefined. */
function answeringInstance(routerPort: number, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sent = request({ host: '127.0.0.1', port: routerPort, path: '/', headers: { host }, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 ? /instance (\d+)/.exec(body)?.[1] : undefined));
      response.on('error', () => resolve(undefined));
    });
    sent.on('timeout', () => sent.destroy());
    sent.on('error', () => resolve(undefined));
    sent.end();
  });
}

/** Part 3: `cf scale -i N` of the Procfile sample, until all are RUNNING, then a watch that none is lost. */
async function scaleOut(context: Context): Promise<void> {
  const name = `scale-${process.pid}`;
  const pushed = await timedPush(context, 'procfile-app', name, ['-b', 'binary_buildpack', '-m', scaleMemory]);
  const appGuid = pushed.timeline.appGuid!;
  const processes = await context.api<List>(`/v3/apps/${appGuid}/processes`);
  const processGuid = processes.resources.find((process) => process['type'] === 'web')!['guid'] as string;
  const host = `${name}.apps.localhost:${context.server.routerPort}`;
  const stats = async () => (await context.api<Stats>(`/v3/processes/${processGuid}/stats`)).resources;
  const serverRssBefore = rssKb(context.server.pid);

  const startedAt = performance.now();
  let allRunningAt: number | undefined;
  const polling = (async () => {
    while (performance.now() - startedAt < 300_000) {
      const instances = await stats();
      if (instances.length === instanceCount && instances.every((instance) => instance.state === 'RUNNING')) {
        allRunningAt = performance.now() - startedAt;
        return;
      }
      await sleep(250);
    }
  })();
  const scaled = await cfOk(context.cli, ['scale', name, '-i', String(instanceCount)]);
  await polling;
  process.stdout.write(
    `\nScale out: ${name} (the Procfile sample: sh exec node, -m ${scaleMemory}) from 1 to ${instanceCount} instances\n` +
      `  cf scale -i ${instanceCount}: the CLI exited after ${seconds(scaled.wallMs).toFixed(2)} s\n` +
      `  all ${instanceCount} RUNNING (stats, polled every 250 ms) after ${allRunningAt === undefined ? 'never (5 min)' : `${seconds(allRunningAt).toFixed(2)} s`}\n`,
  );
  if (allRunningAt === undefined) return;

  // The watch: every second the stats (all RUNNING, uptimes only grow) and requests through the router.
  const uptimes = new Map<number, number>();
  let fewestRunning = instanceCount;
  let restarts = 0;
  let failedRequests = 0;
  let requests = 0;
  const reached = new Set<string>();
  const watchEnd = performance.now() + watchSeconds * 1000;
  while (performance.now() < watchEnd) {
    const instances = await stats();
    fewestRunning = Math.min(fewestRunning, instances.filter((instance) => instance.state === 'RUNNING').length);
    for (const instance of instances) {
      if (instance.uptime < (uptimes.get(instance.index) ?? 0)) restarts++;
      uptimes.set(instance.index, instance.uptime);
    }
    const answers = await Promise.all(Array.from({ length: 20 }, () => answeringInstance(context.server.routerPort, host)));
    requests += answers.length;
    for (const answer of answers) {
      if (answer === undefined) failedRequests++;
      else reached.add(answer);
    }
    await sleep(1000);
  }
  const instances = await stats();
  const appProcesses = processesOfApp(appGuid);
  const instancesRssKb = appProcesses.reduce((sum, found) => sum + rssKb(found.pid), 0);
  const statsMem = instances.reduce((sum, instance) => sum + (instance.usage?.mem ?? 0), 0);
  process.stdout.write(
    `  watch of ${watchSeconds} s: at least ${fewestRunning}/${instanceCount} RUNNING at every look, ${restarts} uptimes went back (restarts), ` +
      `${instances.filter((instance) => instance.state === 'RUNNING').length} RUNNING at the end\n` +
      `  router: ${requests} requests, ${failedRequests} failed, ${reached.size} distinct instances answered\n` +
      `  RSS: server ${(rssKb(context.server.pid) / 1024).toFixed(0)} MiB (${(serverRssBefore / 1024).toFixed(0)} MiB before the scale), ` +
      `instances ${(instancesRssKb / 1024).toFixed(0)} MiB in all (${appProcesses.length} processes, ` +
      `${(instancesRssKb / 1024 / Math.max(1, instances.length)).toFixed(1)} MiB each; stats say ${(statsMem / 2 ** 20).toFixed(0)} MiB)\n` +
      `  load average after the watch: ${loadavg()
        .map((load) => load.toFixed(2))
        .join(', ')}\n`,
  );
}

/** Part 1: pushes of the samples, alternating, each a new app; answers the last Node app, kept running for part 2. */
async function pushRounds(context: Context): Promise<{ name: string; appGuid: string }> {
  const samples: Sample[][] = [];
  let kept: { name: string; appGuid: string } | undefined;
  for (let round = 0; round < rounds; round++) {
    const figures: Sample[] = [];
    for (const [sample, label] of [
      ['static-site', 'static'],
      ['node-app', 'node'],
    ] as const) {
      const name = `${label}-${round}-${process.pid}`;
      figures.push(...(await pushRound(context, sample, label, name)));
      const appGuid = (await context.api<List>(`/v3/apps?names=${name}`)).resources[0]!['guid'] as string;
      if (sample === 'node-app' && round === rounds - 1) kept = { name, appGuid };
      else await cfOk(context.cli, ['delete', name, '-f', '-r']);
    }
    samples.push(figures);
    process.stdout.write(`  push round ${round + 1}/${rounds} done\n`);
  }
  process.stdout.write(`\ncf push from the app's directory until the CLI exits (phases seen from the server, polled every ${pollMs} ms)\n`);
  printSummaries(summarize(samples), 66);
  return kept!;
}

async function main(): Promise<void> {
  const binary = cfBinary();
  const version = execFileSync(binary, ['version'], { encoding: 'utf8' }).trim();
  const tempDir = await mkdtemp(join(tmpdir(), 'push-bench-'));
  const dataDir = join(tempDir, 'data');
  const server = await startPushServer(dataDir, (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean));
  // Ctrl-C: the server and its instances go too.
  const interrupted = () => {
    void stopPushServer(server, dataDir).then(async () => {
      await rm(tempDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const kubeconfig = join(dataDir, 'kubeconfig');
    const api = apiClient(server.url, adminToken(kubeconfig));
    const cli = { binary, home: join(tempDir, 'cf-home'), kubeconfig };
    await cfOk(cli, ['api', server.url]);
    await cfOk(cli, ['auth', 'admin']);
    await cfOk(cli, ['create-org', 'bench-org']);
    await cfOk(cli, ['create-space', 'bench-space', '-o', 'bench-org']);
    await cfOk(cli, ['target', '-o', 'bench-org', '-s', 'bench-space']);
    const spaceGuid = (await api<List>('/v3/spaces?names=bench-space')).resources[0]!['guid'] as string;
    const context: Context = { server, api, cli, spaceGuid, tempDir, dataDir };

    printSetup('cf push benchmark (the local runtime)', {
      cli: `${binary} (${version}), its own CF_HOME, logged in as admin (cf api, cf auth admin), org and space targeted`,
      server: `npm start's command (node src/start.js, embedded backend, local runtime, log level warn), API ${server.url}, router 127.0.0.1:${server.routerPort}`,
      data: storageOf(dataDir),
      rounds: `${rounds} pushes of each sample, one new app each (deleted with cf delete -r after its round, untimed); the server polled every ${pollMs} ms beside the CLI`,
      'load average': loadavg()
        .map((load) => load.toFixed(2))
        .join(', '),
    });

    const routerApp = await pushRounds(context);
    await routerThroughput(context, routerApp.name, routerApp.appGuid);
    await cfOk(cli, ['delete', routerApp.name, '-f', '-r']);

    await scaleOut(context);
  } finally {
    const stopBegan = performance.now();
    const rssAtEnd = rssKb(server.pid);
    const left = await stopPushServer(server, dataDir);
    process.stdout.write(
      `\nServer stopped (SIGTERM, it stops its instances) in ${seconds(performance.now() - stopBegan).toFixed(2)} s (RSS at the end ${(rssAtEnd / 1024).toFixed(0)} MiB); ` +
        `${left.length === 0 ? 'no process left under its data directory' : `killed ${left.length} processes it left: ${left.join(', ')}`}\n`,
    );
    await rm(tempDir, { recursive: true, force: true });
  }
}

await main();
