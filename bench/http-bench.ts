import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from '../src/auth/certificate-authority.ts';
import { localIdentityPaths } from '../src/auth/embedded/local-identity.ts';
import { readKubeconfigUser } from '../test/support/test-server.ts';
import { median, roundCount } from './rounds.ts';
import { printSetup, storageOf } from './setup.ts';

/**
 * `npm run bench`: throughput and latency of `GET /v3/info` and an authenticated `GET /whoami` on this
 * server (embedded backend), next to a bare Koa server answering the same JSON, on the same machine in
 * the same run. `/whoami` is measured twice over: with one credential, which the server proves once
 * and then finds in its authentication cache, and uncached, each request with a client certificate of
 * a user never seen before (so every request parses and verifies a certificate, whatever the cache).
 * Prints the setup and each figure's median and range over the rounds; asserts nothing. Target: our
 * /v3/info reaches at least 70% of bare Koa's requests per second.
 *
 * Environment: BENCH_ROUNDS (default 5), BENCH_SECONDS per timed run (5), BENCH_CONNECTIONS (32),
 * BENCH_UNCACHED_REQUESTS per uncached run (1000; each needs a certificate issued beforehand).
 */
const root = new URL('../', import.meta.url).pathname;
const durationSeconds = Number(process.env['BENCH_SECONDS'] ?? 5);
const rounds = roundCount(undefined);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const uncachedRequests = Number(process.env['BENCH_UNCACHED_REQUESTS'] ?? 1000);

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
type Summary = Figures & { minRequestsPerSecond: number; maxRequestsPerSecond: number };
/** A timed target sends the same request for a while; an uncached one sends each credential of a fresh batch once. */
type Target = { label: string; url: string; pid: number; headers?: Record<string, string>; freshCredentials?: CredentialBatches };

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
  const result = await autocannon(
    target.freshCredentials
      ? // autocannon notices the end of an `amount` only at a sample tick: short ticks keep the duration exact.
        { url: target.url, connections, amount: uncachedRequests, sampleInt: 10, requests: [target.freshCredentials.next().request] }
      : { url: target.url, headers: target.headers ?? {}, connections, duration },
  );
  return {
    label: target.label,
    requestsPerSecond: result.requests.total / (result.duration || duration),
    cpuMicrosPerRequest: (cpuMicros(target.pid) - cpuBefore) / result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/**
 * Batches of client certificates for users the server has never seen, one batch per uncached run, all
 * issued before measuring. A batch's request sets a new certificate for every request it sends, and
 * counts one failure should autocannon ask for more requests than the batch has.
 */
class CredentialBatches {
  readonly #batches: string[][];
  exhausted = 0;

  private constructor(batches: string[][]) {
    this.#batches = batches;
  }

  static async issue(dataDir: string, batches: number, size: number): Promise<CredentialBatches> {
    const ca = await CertificateAuthority.loadOrCreate(localIdentityPaths(dataDir).authDir);
    const issued: string[][] = [];
    for (let batch = 0; batch < batches; batch++) {
      const headers: string[] = [];
      // A few extra: autocannon prepares one request per connection before it starts counting.
      for (let index = 0; index < size + 2 * connections; index += 8) {
        const pairs = await Promise.all(
          Array.from({ length: 8 }, (_, offset) => ca.issueClientCertificate(`bench-uncached-${batch}-${index + offset}`)),
        );
        headers.push(...pairs.map((pair) => `ClientCert ${Buffer.from(pair.certificatePem + pair.privateKeyPem).toString('base64')}`));
      }
      issued.push(headers);
    }
    return new CredentialBatches(issued);
  }

  next(): { request: autocannon.Request } {
    const headers = this.#batches.shift();
    if (!headers) throw new Error('no certificates left for another uncached run');
    let used = 0;
    return {
      request: {
        setupRequest: (request) => {
          const authorization = headers[used++];
          if (authorization === undefined) this.exhausted += 1;
          return { ...request, headers: { ...request.headers, Authorization: authorization ?? headers[0]! } };
        },
      },
    };
  }
}

/**
 * Measures the targets in interleaved rounds and keeps each one's median round: this machine's
 * throughput drifts by tens of percent within a minute, and interleaving exposes every target to the
 * same drift. Before the rounds, one short run per target warms the server up.
 */
async function measure(targets: Target[]): Promise<Summary[]> {
  for (const target of targets) await runOnce(target, 1);
  const samples = targets.map(() => [] as Figures[]);
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, target] of targets.entries()) samples[index]!.push(await runOnce(target, durationSeconds));
  }
  return samples.map((runs) => {
    const throughput = runs.map((run) => run.requestsPerSecond);
    const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
    return {
      ...sorted[Math.floor(sorted.length / 2)]!,
      requestsPerSecond: median(throughput),
      cpuMicrosPerRequest: median(runs.map((run) => run.cpuMicrosPerRequest)),
      p50: median(runs.map((run) => run.p50)),
      p99: median(runs.map((run) => run.p99)),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      minRequestsPerSecond: Math.min(...throughput),
      maxRequestsPerSecond: Math.max(...throughput),
    };
  });
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cf-api-bench-'));
  const [ourPort, barePort] = [await freePort(), await freePort()];
  const ours = await startChild('src/start.js', { CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(ourPort), CFAPI_ROUTER_PORT: '0' });
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
    printSetup('HTTP benchmark', {
      server: `embedded backend, data directory ${storageOf(dataDir)}, default durability (process-crash), log level info`,
      load: `autocannon, ${connections} connections; ${pinned ? 'servers on core 1, load generator on core 0' : 'servers and load generator share the cores'}`,
      rounds: `${rounds} interleaved rounds (each target once per round) of ${durationSeconds} s, or of ${uncachedRequests} requests uncached`,
    });
    const issuing = performance.now();
    // One batch per round, and one for the warm-up run.
    const freshCredentials = await CredentialBatches.issue(dataDir, rounds + 1, uncachedRequests);
    process.stdout.write(
      `  issued ${(rounds + 1) * uncachedRequests} client certificates in ${((performance.now() - issuing) / 1000).toFixed(1)} s\n`,
    );
    const clientCert = { Authorization: `ClientCert ${Buffer.from(admin.certificatePem + admin.privateKeyPem).toString('base64')}` };
    const [barePid, ourPid] = [bare.pid!, ours.pid!];
    const targets: Target[] = [
      { label: 'bare Koa   GET /v3/info', url: `${bareUrl}/v3/info`, pid: barePid },
      { label: 'cf-k8s-api GET /v3/info', url: `${ourUrl}/v3/info`, pid: ourPid },
      { label: 'bare Koa   GET /whoami', url: `${bareUrl}/whoami`, pid: barePid },
      { label: 'cf-k8s-api GET /whoami (Bearer, cached)', url: `${ourUrl}/whoami`, headers: auth, pid: ourPid },
      { label: 'cf-k8s-api GET /whoami (ClientCert, cached)', url: `${ourUrl}/whoami`, headers: clientCert, pid: ourPid },
      { label: 'cf-k8s-api GET /whoami (ClientCert, uncached)', url: `${ourUrl}/whoami`, freshCredentials, pid: ourPid },
    ];
    print(await measure(targets));
    if (freshCredentials.exhausted > 0) process.stdout.write(`(${freshCredentials.exhausted} uncached requests reused a certificate)\n`);
  } finally {
    ours.kill('SIGTERM');
    bare.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  }
}

function print(rows: Summary[]): void {
  process.stdout.write(
    `\n${'endpoint (median of the rounds)'.padEnd(48)}${'req/s'.padStart(8)}${'min–max'.padStart(15)}${'CPU µs/req'.padStart(12)}` +
      `${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'errors'.padStart(8)}\n`,
  );
  for (const row of rows) {
    const range = `${row.minRequestsPerSecond.toFixed(0)}–${row.maxRequestsPerSecond.toFixed(0)}`;
    process.stdout.write(
      `${row.label.padEnd(48)}${row.requestsPerSecond.toFixed(0).padStart(8)}${range.padStart(15)}${row.cpuMicrosPerRequest.toFixed(1).padStart(12)}` +
        `${row.p50.toFixed(1).padStart(9)}${row.p99.toFixed(1).padStart(9)}${String(row.errors).padStart(8)}\n`,
    );
  }
  const ratio = (a: Figures, b: Figures) => `${((100 * a.requestsPerSecond) / b.requestsPerSecond).toFixed(0)}%`;
  const cpuRatio = (a: Figures, b: Figures) => `${((100 * b.cpuMicrosPerRequest) / a.cpuMicrosPerRequest).toFixed(0)}%`;
  const [bareInfo, ourInfo, bareWhoami, bearer, clientCert, uncached] = rows as [Summary, Summary, Summary, Summary, Summary, Summary];
  process.stdout.write(
    `\n/v3/info: ${ratio(ourInfo, bareInfo)} of bare Koa's req/s (target: at least 70%); ` +
      `by CPU per request, ${cpuRatio(ourInfo, bareInfo)} of its capacity\n`,
  );
  process.stdout.write(
    `/whoami:  ${ratio(bearer, bareWhoami)} of bare Koa's req/s with a cached bearer token (CPU: ${cpuRatio(bearer, bareWhoami)}), ` +
      `${ratio(clientCert, bareWhoami)} with a cached client certificate (CPU: ${cpuRatio(clientCert, bareWhoami)}), ` +
      `${ratio(uncached, bareWhoami)} with a new client certificate per request (CPU: ${cpuRatio(uncached, bareWhoami)})\n`,
  );
}

await main();
