import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CertificateAuthority } from '../src/auth/certificate-authority.ts';
import { localIdentityPaths } from '../src/auth/embedded/local-identity.ts';
import { readKubeconfigUser } from '../test/support/test-server.ts';
import { median } from './rounds.ts';
import { printSetup, storageOf } from './setup.ts';

/**
 * `npm run bench:apps`: the app endpoints of the embedded server with many apps, as a separate
 * process started by `npm start`'s entry (so start-up is measured as users get it):
 *
 * - seeds `--apps` apps (default 10,000) in `--spaces` spaces (default 100) of one org, through the API;
 * - `GET /v3/apps?per_page=50` latency (p50, one request at a time) as the admin and as a space
 *   developer of 10 spaces;
 * - `GET /v3/apps/{guid}` requests per second next to a bare Koa server answering the same JSON;
 * - the server restarted on that data directory: time from process start to its first answer and
 *   its RSS then, each the median of `--restarts` restarts (default 3).
 *
 * Issue 10's targets: list p50 ≤ 5 ms for both callers; get ≥ 50% of bare Koa; cold start ≤ 1 s and
 * ≤ 150 MB. Prints figures, asserts nothing.
 */
const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '10000' },
    spaces: { type: 'string', default: '100' },
    restarts: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
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
const root = new URL('../', import.meta.url).pathname;

type Headers = Record<string, string>;
type Server = { child: ChildProcess; url: string; startedMs: number; rssKb: number };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const rssKbOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

/** Starts the server and polls `/v3/info` until it answers: the time from spawn to that answer is its cold start. */
async function startServer(dataDir: string): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const begin = performance.now();
  const child = spawn(process.execPath, ['src/start.ts'], {
    cwd: root,
    env: { ...process.env, CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(port), CFAPI_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${output}`);
    const answered = await fetch(`${url}/v3/info`).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { child, url, startedMs: performance.now() - begin, rssKb: rssKbOf(child.pid!) };
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

async function call(
  { url, headers }: { url: string; headers: Headers },
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...headers, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Runs `work` for every index, `concurrency` at a time. */
async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** One org, the spaces, the apps spread over them; a developer of the first 10 spaces. */
async function seed(url: string, admin: Headers, developerName: string): Promise<{ appGuids: string[] }> {
  const org = await call({ url, headers: admin }, 'POST', '/v3/organizations', { name: 'bench-org' });
  const orgGuid = org['guid'] as string;
  const spaceGuids: string[] = [];
  for (let index = 0; index < spaceCount; index++) {
    const space = await call({ url, headers: admin }, 'POST', '/v3/spaces', {
      name: `space-${index}`,
      relationships: { organization: { data: { guid: orgGuid } } },
    });
    spaceGuids.push(space['guid'] as string);
  }
  const appGuids: string[] = [];
  const began = performance.now();
  await inParallel(appCount, 8, async (index) => {
    const app = await call({ url, headers: admin }, 'POST', '/v3/apps', {
      name: `app-${index}`,
      relationships: { space: { data: { guid: spaceGuids[index % spaceCount] } } },
    });
    appGuids.push(app['guid'] as string);
  });
  process.stdout.write(`  seeded ${appCount} apps in ${spaceCount} spaces in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  const user = { username: developerName };
  await call({ url, headers: admin }, 'POST', '/v3/roles', {
    type: 'organization_user',
    relationships: { user: { data: user }, organization: { data: { guid: orgGuid } } },
  });
  for (const spaceGuid of spaceGuids.slice(0, 10))
    await call({ url, headers: admin }, 'POST', '/v3/roles', {
      type: 'space_developer',
      relationships: { user: { data: user }, space: { data: { guid: spaceGuid } } },
    });
  return { appGuids };
}

/** What an earlier run seeded (the developer's roles are there too): one app to read. */
async function seeded(url: string, admin: Headers): Promise<{ appGuids: string[] }> {
  const page = await call({ url, headers: admin }, 'GET', '/v3/apps?per_page=1');
  const resources = page['resources'] as { guid: string }[];
  process.stdout.write(`  reusing ${(page['pagination'] as { total_results: number }).total_results} apps seeded before\n`);
  return { appGuids: resources.map((resource) => resource.guid) };
}

/** p50 latency of `count` requests sent one at a time (after a few to warm up). */
async function latencyP50(url: string, headers: Headers, path: string, count = 200): Promise<number> {
  for (let index = 0; index < 10; index++) await call({ url, headers }, 'GET', path);
  const latencies: number[] = [];
  for (let index = 0; index < count; index++) {
    const begin = performance.now();
    await call({ url, headers }, 'GET', path);
    latencies.push(performance.now() - begin);
  }
  return median(latencies);
}

async function requestsPerSecond(url: string, headers: Headers): Promise<number> {
  await autocannon({ url, headers, connections: 16, duration: 1 });
  const result = await autocannon({ url, headers, connections: 16, duration: seconds });
  if (result.non2xx + result.errors > 0) throw new Error(`${url}: ${result.non2xx + result.errors} failed requests`);
  return result.requests.average;
}

async function startBareKoa(body: unknown): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bench/bare-koa.ts'], {
    cwd: root,
    env: { ...process.env, BARE_PORT: String(port), BARE_BODIES: JSON.stringify({ '/app': body }) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve) => child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve()));
  return { child, url: `http://127.0.0.1:${port}/app` };
}

const clientCertHeader = (pair: { certificatePem: string; privateKeyPem: string }): Headers => ({
  Authorization: `ClientCert ${Buffer.from(pair.certificatePem + pair.privateKeyPem).toString('base64')}`,
});

async function main(): Promise<void> {
  const reused = values.reuse;
  const dataDir = reused ?? (await mkdtemp(join(values['data-dir'], 'cfapi-apps-bench-')));
  printSetup('Apps benchmark (embedded backend)', {
    data: `${reused ? 'as seeded before' : `${appCount} apps in ${spaceCount} spaces`}, data directory ${storageOf(dataDir)}`,
    server: 'node src/start.ts (as npm start), log level warn; requests from this process',
  });
  let server = await startServer(dataDir);
  try {
    const admin = await readKubeconfigUser(join(dataDir, 'kubeconfig'), 'admin');
    const adminHeaders = { Authorization: `Bearer ${admin.token}` };
    const ca = await CertificateAuthority.loadOrCreate(localIdentityPaths(dataDir).authDir);
    const developer = clientCertHeader(await ca.issueClientCertificate('bench-developer'));
    const { appGuids } = reused ? await seeded(server.url, adminHeaders) : await seed(server.url, adminHeaders, 'bench-developer');
    const figures: [string, string][] = [];
    const list = '/v3/apps?per_page=50';
    figures.push(['GET /v3/apps?per_page=50 p50, admin (all apps)', `${(await latencyP50(server.url, adminHeaders, list)).toFixed(2)} ms`]);
    figures.push([
      'GET /v3/apps?per_page=50 p50, developer of 10 spaces',
      `${(await latencyP50(server.url, developer, list)).toFixed(2)} ms`,
    ]);
    const appPath = `/v3/apps/${appGuids[0]}`;
    const bare = await startBareKoa(await call({ url: server.url, headers: adminHeaders }, 'GET', appPath));
    try {
      const ours = await requestsPerSecond(`${server.url}${appPath}`, adminHeaders);
      const koa = await requestsPerSecond(bare.url, {});
      figures.push(['GET /v3/apps/{guid} req/s (16 connections)', ours.toFixed(0)]);
      figures.push(['bare Koa, same JSON, req/s', koa.toFixed(0)]);
      figures.push(['ratio', `${((ours / koa) * 100).toFixed(0)} %`]);
    } finally {
      bare.child.kill('SIGTERM');
    }
    const starts: Server[] = [];
    for (let index = 0; index < restarts; index++) {
      await stopServer(server);
      server = await startServer(dataDir);
      starts.push(server);
    }
    figures.push([
      `cold start to first answer, ${reused ? 'those' : appCount} apps (median of ${restarts})`,
      `${median(starts.map((start) => start.startedMs)).toFixed(0)} ms`,
    ]);
    figures.push(['RSS at first answer', `${(median(starts.map((start) => start.rssKb)) / 1024).toFixed(0)} MB`]);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    figures.push(['RSS 5 s later (reconcilers caught up)', `${(rssKbOf(server.child.pid!) / 1024).toFixed(0)} MB`]);
    for (const [name, value] of figures) process.stdout.write(`  ${name.padEnd(56)} ${value.padStart(10)}\n`);
  } finally {
    await stopServer(server).catch(() => undefined);
    if (values.keep || reused) process.stdout.write(`  kept the data directory ${dataDir}\n`);
    else await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
