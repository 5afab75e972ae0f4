import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKubeconfigUser } from '../test/support/test-server.ts';

/**
 * `npm run bench`: throughput and latency of `GET /v3/info` and an authenticated `GET /whoami` on this
 * server, next to a bare Koa server answering the same JSON, on the same machine in the same run. Prints
 * figures; asserts nothing. Target: our /v3/info reaches at least 70% of bare Koa's requests per second.
 */
const root = new URL('../', import.meta.url).pathname;
const durationSeconds = Number(process.env['BENCH_SECONDS'] ?? 5);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 32);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * On a machine with two or more cores the load generator (this process) and the servers get separate
 * cores, so a server's figure is not its share of a core fought over with autocannon.
 */
const pinned = pinLoadGenerator();

function pinLoadGenerator(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function startChild(script: string, env: Record<string, string>): Promise<ChildProcess> {
  const [command, args] = pinned ? ['taskset', ['-c', '1', process.execPath, script]] : [process.execPath, [script]];
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output}`)));
  });
  return child;
}

type Figures = { label: string; requestsPerSecond: number; cpuMicrosPerRequest: number; p50: number; p99: number; errors: number };
type Target = { label: string; url: string; pid: number; headers?: Record<string, string> };

/** CPU time a process has used, in microseconds (Linux /proc; clock ticks are 1/100 s). */
function cpuMicros(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

async function runOnce(target: Target, duration: number): Promise<Figures> {
  const cpuBefore = cpuMicros(target.pid);
  const result = await autocannon({ url: target.url, headers: target.headers ?? {}, connections, duration });
  return {
    label: target.label,
    requestsPerSecond: result.requests.average,
    cpuMicrosPerRequest: (cpuMicros(target.pid) - cpuBefore) / result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/**
 * Measures the targets in interleaved rounds and keeps each one's median round: this machine's
 * throughput drifts by tens of percent within a minute, and interleaving exposes every target to the
 * same drift.
 */
async function measure(targets: Target[]): Promise<Figures[]> {
  for (const target of targets) await runOnce(target, 1);
  const samples = targets.map(() => [] as Figures[]);
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, target] of targets.entries()) samples[index]!.push(await runOnce(target, durationSeconds));
  }
  return samples.map((runs) => {
    const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return { ...median, errors: runs.reduce((sum, run) => sum + run.errors, 0) };
  });
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cf-api-bench-'));
  const [ourPort, barePort] = [await freePort(), await freePort()];
  const ours = await startChild('src/main.ts', { CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(ourPort) });
  const ourUrl = `http://127.0.0.1:${ourPort}`;
  const admin = await readKubeconfigUser(join(dataDir, 'kubeconfig'), 'admin');
  const auth = { Authorization: `Bearer ${admin.token}` };
  const bodies = {
    '/v3/info': await (await fetch(`${ourUrl}/v3/info`)).json(),
    '/whoami': await (await fetch(`${ourUrl}/whoami`, { headers: auth })).json(),
  };
  const bare = await startChild('bench/bare-koa.ts', { BARE_PORT: String(barePort), BARE_BODIES: JSON.stringify(bodies) });
  const bareUrl = `http://127.0.0.1:${barePort}`;
  try {
    const clientCert = { Authorization: `ClientCert ${Buffer.from(admin.certificatePem + admin.privateKeyPem).toString('base64')}` };
    const [barePid, ourPid] = [bare.pid!, ours.pid!];
    const targets = [
      { label: 'bare Koa   GET /v3/info', url: `${bareUrl}/v3/info`, pid: barePid },
      { label: 'cf-k8s-api GET /v3/info', url: `${ourUrl}/v3/info`, pid: ourPid },
      { label: 'bare Koa   GET /whoami', url: `${bareUrl}/whoami`, pid: barePid },
      { label: 'cf-k8s-api GET /whoami (Bearer)', url: `${ourUrl}/whoami`, headers: auth, pid: ourPid },
      { label: 'cf-k8s-api GET /whoami (ClientCert)', url: `${ourUrl}/whoami`, headers: clientCert, pid: ourPid },
    ];
    print(await measure(targets));
  } finally {
    ours.kill('SIGTERM');
    bare.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
}

function print(rows: Figures[]): void {
  process.stdout.write(
    `\n${connections} connections; median of ${rounds} interleaved rounds of ${durationSeconds} s per row; Node ${process.version}; ` +
      `${pinned ? 'servers on core 1, load generator on core 0' : 'servers and load generator share the cores'}\n\n`,
  );
  process.stdout.write(
    `${'endpoint'.padEnd(38)}${'req/s'.padStart(10)}${'CPU µs/req'.padStart(12)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}\n`,
  );
  for (const row of rows) {
    process.stdout.write(
      `${row.label.padEnd(38)}${row.requestsPerSecond.toFixed(0).padStart(10)}${row.cpuMicrosPerRequest.toFixed(1).padStart(12)}${row.p50.toFixed(1).padStart(9)}${row.p99.toFixed(1).padStart(9)}${String(row.errors).padStart(8)}\n`,
    );
  }
  const ratio = (a: Figures, b: Figures) => `${((100 * a.requestsPerSecond) / b.requestsPerSecond).toFixed(0)}%`;
  const cpuRatio = (a: Figures, b: Figures) => `${((100 * b.cpuMicrosPerRequest) / a.cpuMicrosPerRequest).toFixed(0)}%`;
  process.stdout.write(
    `\n/v3/info: ${ratio(rows[1]!, rows[0]!)} of bare Koa's req/s (target: at least 70%); ` +
      `by CPU per request, ${cpuRatio(rows[1]!, rows[0]!)} of its capacity\n`,
  );
  process.stdout.write(
    `/whoami:  ${ratio(rows[3]!, rows[2]!)} of bare Koa's req/s with a bearer token (CPU: ${cpuRatio(rows[3]!, rows[2]!)}), ` +
      `${ratio(rows[4]!, rows[2]!)} with a client certificate (CPU: ${cpuRatio(rows[4]!, rows[2]!)})\n`,
  );
}

await main();
