import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CertificateAuthority } from '../src/auth/certificate-authority.ts';
import { localIdentityPaths } from '../src/auth/embedded/local-identity.ts';
import { readKubeconfigUser } from '../test/support/test-server.ts';
import { median, roundCount } from './rounds.ts';
import { freePort, npmStartNodeArgs } from '../test/support/server-process.ts';
import {
  callApi,
  clientCertHeader,
  seedApps,
  latencyP50,
  rssKbOf,
  serverIdle,
  startBenchServer,
  stopBenchServer,
  type BenchServer,
  type Headers,
} from './api-server.ts';
import { printSetup, storageOf } from './setup.ts';

/**
 * `npm run bench:apps`: the app endpoints of the embedded server with many apps, as a separate
 * process started by `npm start`'s entry (so start-up is measured as users get it):
 *
 * - seeds `--apps` apps (default 10,000) in `--spaces` spaces (default 100) of one org, through the API;
 * - once the server is idle (the reconcilers' first pass over the apps is over): `GET
 *   /v3/apps?per_page=50` latency (p50, one request at a time) as the admin and as a space developer
 *   of 10 spaces;
 * - `GET /v3/apps/{guid}` requests per second next to a bare Koa server answering the same JSON, in
 *   interleaved rounds of `--seconds` (default 3) each, the median of `--rounds` (default 5);
 * - the server restarted on that data directory: time from process start to its first answer and
 *   its RSS then, and the slowest answer in the 2 s after it (while the reconcilers start), each the
 *   median of `--restarts` restarts (default 3).
 *
 * Issue 10's targets: list p50 ≤ 5 ms for both callers; get ≥ 50% of bare Koa; cold start ≤ 1 s and
 * ≤ 150 MB. Prints figures, asserts nothing.
 */
const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '10000' },
    spaces: { type: 'string', default: '100' },
    restarts: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    /** Interleaved rounds of the get against bare Koa (default 5, or BENCH_ROUNDS). */
    rounds: { type: 'string' },
    'data-dir': { type: 'string', default: tmpdir() },
    /** Keep the seeded data directory (its path is printed), e.g. to profile a start on it. */
    keep: { type: 'boolean', default: false },
    /** Measure on a data directory a `--keep` run seeded (kept afterwards), instead of seeding a new one. */
    reuse: { type: 'string' },
  },
});
const appCount = Number(values.apps);
const spaceCount = Number(values.spaces);
const restarts = Number(values.restarts);
const seconds = Number(values.seconds);
const getRounds = roundCount(values.rounds);
const root = new URL('../', import.meta.url).pathname;

/** What an earlier run seeded (the developer's roles are there too): one app to read. */
async function seeded(url: string, admin: Headers): Promise<{ appGuids: string[] }> {
  const page = await callApi(url, admin, { method: 'GET', path: '/v3/apps?per_page=1' });
  const resources = page['resources'] as { guid: string }[];
  process.stdout.write(`  reusing ${(page['pagination'] as { total_results: number }).total_results} apps seeded before\n`);
  return { appGuids: resources.map((resource) => resource.guid) };
}

/** How long after its first answer a restarted server is asked again and again (its reconcilers start meanwhile). */
const slowestWindowMs = 2000;

/**
 * The longest `/v3/info` answer of requests sent one after another (10 ms apart) for `ms`: what a
 * client waits at worst while the reconcilers start, which the first answer alone may not show.
 */
async function slowestAnswer(url: string, ms: number): Promise<number> {
  let slowest = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const begin = performance.now();
    await (await fetch(`${url}/v3/info`)).arrayBuffer();
    slowest = Math.max(slowest, performance.now() - begin);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return slowest;
}

async function requestsPerSecond(url: string, headers: Headers): Promise<number> {
  await autocannon({ url, headers, connections: 16, duration: 1 });
  const result = await autocannon({ url, headers, connections: 16, duration: seconds });
  if (result.non2xx + result.errors > 0) throw new Error(`${url}: ${result.non2xx + result.errors} failed requests`);
  return result.requests.average;
}

/** The yardstick, under the same Node options as the server (`npm start`'s), so that the ratio measures our code rather than V8's settings. */
async function startBareKoa(body: unknown): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...npmStartNodeArgs(), 'bench/bare-koa.ts'], {
    cwd: root,
    env: { ...process.env, BARE_PORT: String(port), BARE_BODIES: JSON.stringify({ '/app': body }) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve) => child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve()));
  return { child, url: `http://127.0.0.1:${port}/app` };
}

async function main(): Promise<void> {
  const reused = values.reuse;
  const dataDir = reused ?? (await mkdtemp(join(values['data-dir'], 'cfapi-apps-bench-')));
  printSetup('Apps benchmark (embedded backend)', {
    data: `${reused ? 'as seeded before' : `${appCount} apps in ${spaceCount} spaces`}, data directory ${storageOf(dataDir)}`,
    server: 'node src/start.js (as npm start), log level warn; requests from this process',
  });
  let server: BenchServer = await startBenchServer(dataDir);
  try {
    const admin = await readKubeconfigUser(join(dataDir, 'kubeconfig'), 'admin');
    const adminHeaders = { Authorization: `Bearer ${admin.token}` };
    const ca = await CertificateAuthority.loadOrCreate(localIdentityPaths(dataDir).authDir);
    const developer = clientCertHeader(await ca.issueClientCertificate('bench-developer'));
    const { appGuids } = reused
      ? await seeded(server.url, adminHeaders)
      : await seedApps(server.url, adminHeaders, { apps: appCount, spaces: spaceCount, developer: 'bench-developer', concurrency: 8 });
    const idleMs = await serverIdle(server.child.pid!);
    process.stdout.write(
      `  server idle ${(idleMs / 1000).toFixed(0)} s after ${reused ? 'start' : 'seeding'} (the reconcilers' first pass)\n`,
    );
    const figures: [string, string][] = [];
    const list = '/v3/apps?per_page=50';
    figures.push([
      'GET /v3/apps?per_page=50 p50, admin (all apps)',
      `${(await latencyP50(server.url, adminHeaders, list, 200)).toFixed(2)} ms`,
    ]);
    figures.push([
      'GET /v3/apps?per_page=50 p50, developer of 10 spaces',
      `${(await latencyP50(server.url, developer, list, 200)).toFixed(2)} ms`,
    ]);
    const appPath = `/v3/apps/${appGuids[0]}`;
    const bare = await startBareKoa(await callApi(server.url, adminHeaders, { method: 'GET', path: appPath }));
    try {
      // Interleaved rounds, so that a moment of load elsewhere on the machine hits both sides.
      const ours: number[] = [];
      const koa: number[] = [];
      for (let round = 0; round < getRounds; round++) {
        ours.push(await requestsPerSecond(`${server.url}${appPath}`, adminHeaders));
        koa.push(await requestsPerSecond(bare.url, {}));
      }
      const ratios = ours.map((value, index) => (value / koa[index]!) * 100);
      const spread = (values: number[], digits = 0) =>
        `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
      figures.push([`GET /v3/apps/{guid} req/s (16 connections, median of ${getRounds})`, spread(ours)]);
      figures.push(['bare Koa, same JSON, req/s', spread(koa)]);
      figures.push(['ratio, %', spread(ratios)]);
    } finally {
      bare.child.kill('SIGTERM');
    }
    const starts: BenchServer[] = [];
    const slowest: number[] = [];
    for (let index = 0; index < restarts; index++) {
      await stopBenchServer(server);
      server = await startBenchServer(dataDir);
      starts.push(server);
      slowest.push(await slowestAnswer(server.url, slowestWindowMs));
    }
    figures.push([
      `cold start to first answer, ${reused ? 'those' : appCount} apps (median of ${restarts})`,
      `${median(starts.map((start) => start.startedMs)).toFixed(0)} ms`,
    ]);
    figures.push(['RSS at first answer', `${(median(starts.map((start) => start.rssKb)) / 1024).toFixed(0)} MB`]);
    figures.push([`slowest GET /v3/info in the ${slowestWindowMs / 1000} s after it`, `${median(slowest).toFixed(0)} ms`]);
    await new Promise((resolve) => setTimeout(resolve, 5000 - slowestWindowMs));
    figures.push(['RSS 5 s later (reconcilers caught up)', `${(rssKbOf(server.child.pid!) / 1024).toFixed(0)} MB`]);
    for (const [name, value] of figures) process.stdout.write(`  ${name.padEnd(62)} ${value.padStart(18)}\n`);
  } finally {
    await stopBenchServer(server).catch(() => undefined);
    if (values.keep || reused) process.stdout.write(`  kept the data directory ${dataDir}\n`);
    else await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
