import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createLogger } from '../src/logger.ts';
import { startAppRouter } from '../src/router/app-router.ts';
import { RouteIndex } from '../src/router/route-index.ts';
import { median, roundCount } from './rounds.ts';
import { printSetup } from './setup.ts';

/**
 * `node bench/router-bench.ts`: requests per second of a small local HTTP app (a 13-byte answer), first
 * straight at it and then through the built-in router (Host `bench.apps.localhost`), in interleaved
 * rounds, and the ratio of the two (target: at least 50 %). The app and the router run in child
 * processes of their own; with two or more cores the load generator takes core 0 and both servers core 1,
 * so the ratio says what routing costs next to the app on the same core. Prints figures; asserts nothing.
 *
 * Environment: BENCH_ROUNDS (default 3), BENCH_SECONDS per timed run (5), BENCH_CONNECTIONS (32), BENCH_PIN=0
 * to leave every process on every core.
 */
const durationSeconds = Number(process.env['BENCH_SECONDS'] ?? 5);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const host = 'bench.apps.localhost';

/** Child roles: `app <port>` answers every request; `router <port> <appPort>` routes `host` to it. */
async function child(role: string, port: number, appPort: number): Promise<void> {
  if (role === 'app') {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('Hello, world!');
    });
    server.listen(port, '127.0.0.1', () => process.stderr.write('listening on\n'));
    return;
  }
  const table = new RouteIndex();
  table.set('bench', { fqdn: host, path: '', targets: [{ appGuid: 'bench-app', processType: 'web' }] });
  const endpoints = [{ index: 0, host: '127.0.0.1', port: appPort }];
  await startAppRouter({ listen: { host: '127.0.0.1', port }, table, endpoints: () => endpoints, logger: createLogger('info') });
  process.stderr.write('listening on\n');
}

const pinned = process.env['BENCH_PIN'] !== '0' && availableParallelism() >= 2 && pin();

function pin(): boolean {
  try {
    execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function startChild(args: string[]): Promise<ChildProcess> {
  const script = new URL(import.meta.url).pathname;
  const [command, commandArgs] = pinned
    ? ['taskset', ['-c', '1', process.execPath, script, ...args]]
    : [process.execPath, [script, ...args]];
  const started = spawn(command, commandArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    started.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    });
    started.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}: ${output}`)));
  });
  return started;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

type Run = { requestsPerSecond: number; p50: number; p99: number; errors: number; cpu: number[] };

/** CPU time a process has used, in microseconds (Linux /proc; clock ticks are 1/100 s). */
function cpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

/** One timed run against `port`, with the CPU time each of `processes` spent per request meanwhile. */
async function runOnce(port: number, duration: number, processes: readonly ChildProcess[]): Promise<Run> {
  const before = processes.map((started) => cpuMicros(started.pid));
  const result = await autocannon({ url: `http://127.0.0.1:${port}/`, headers: { host }, connections, duration });
  return {
    requestsPerSecond: result.requests.total / (result.duration || duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpu: processes.map((started, index) => (cpuMicros(started.pid) - before[index]!) / result.requests.total),
  };
}

function print(label: string, runs: readonly Run[], names: readonly string[]): number {
  const throughput = runs.map((run) => run.requestsPerSecond);
  const figure = median(throughput);
  const spread = `${Math.round(Math.min(...throughput)).toLocaleString('en')}–${Math.round(Math.max(...throughput)).toLocaleString('en')}`;
  const errors = runs.reduce((sum, run) => sum + run.errors, 0);
  process.stdout.write(
    `  ${label.padEnd(22)} ${Math.round(figure).toLocaleString('en').padStart(8)} req/s  (${spread}), ` +
      `p50 ${median(runs.map((run) => run.p50))} ms, p99 ${median(runs.map((run) => run.p99))} ms, ${errors} errors; CPU per request: ` +
      names.map((name, index) => `${name} ${median(runs.map((run) => run.cpu[index]!)).toFixed(0)} µs`).join(', ') +
      '\n',
  );
  return figure;
}

async function main(): Promise<void> {
  const rounds = roundCount(undefined, 3);
  const [appPort, routerPort] = [await freePort(), await freePort()];
  const children = [await startChild(['app', String(appPort)])];
  try {
    children.push(await startChild(['router', String(routerPort), String(appPort)]));
    printSetup('Router benchmark', {
      app: 'node:http answering 13 bytes, in a child process',
      router: 'startAppRouter (http-proxy-3, keep-alive to the app), log level info, in a child process',
      load: `autocannon, ${connections} connections; ${pinned ? 'app and router on core 1, load generator on core 0' : 'everything shares the cores'}`,
      rounds: `${rounds} interleaved rounds of ${durationSeconds} s each, after a 1 s warm-up of each`,
    });
    const [app, router] = children as [ChildProcess, ChildProcess];
    await runOnce(appPort, 1, []);
    await runOnce(routerPort, 1, []);
    const direct: Run[] = [];
    const routed: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      direct.push(await runOnce(appPort, durationSeconds, [app]));
      routed.push(await runOnce(routerPort, durationSeconds, [app, router]));
    }
    const straight = print('straight to the app', direct, ['app']);
    const through = print('through the router', routed, ['app', 'router']);
    process.stdout.write(`  ratio: ${((100 * through) / straight).toFixed(1)} % of the app's own throughput (target ≥ 50 %)\n`);
  } finally {
    for (const started of children) started.kill();
  }
}

const [role, port, appPort] = process.argv.slice(2);
if (role === undefined) await main();
else await child(role, Number(port), Number(appPort));
