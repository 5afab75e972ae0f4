import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort, npmStartNodeArgs } from '../test/support/server-process.ts';
import { median } from './rounds.ts';

/** What the benchmarks that drive the API over HTTP share: a server process of its own, and calls to it. */

export type Headers = Record<string, string>;
export type BenchServer = { child: ChildProcess; url: string; startedMs: number; rssKb: number };
export type ApiCall = { method: string; path: string; body?: unknown };

const root = new URL('../', import.meta.url).pathname;

/** The resident set of a process now, in KiB (Linux /proc). */
export const rssKbOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

/** CPU time a process has used (user + system), in ms (Linux /proc, in clock ticks of 10 ms). */
const cpuMsOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

/**
 * Waits until a server process is idle (under 5% of a core for 2 s): steady-state figures are
 * measured after the reconcilers' first pass over the data, which a start on 10,000 apps begins with.
 * Answers how long it waited, in ms.
 */
export async function serverIdle(pid: number, timeoutMs = 5 * 60_000): Promise<number> {
  const began = performance.now();
  for (;;) {
    const before = cpuMsOf(pid);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    if (cpuMsOf(pid) - before < 0.05 * 2000 || performance.now() - began > timeoutMs) return performance.now() - began;
  }
}

/**
 * Starts the server as `npm start` does (`node [its options] src/start.js`) on a free port with this
 * data directory and polls `/v3/info` until it answers: the time from spawn to that answer is its cold
 * start, and its RSS then is taken too. `nodeArgs` go after npm start's options (e.g. `--cpu-prof`).
 */
export async function startBenchServer(dataDir: string, options: { nodeArgs?: string[]; showStderr?: boolean } = {}): Promise<BenchServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const begin = performance.now();
  const child = spawn(process.execPath, [...npmStartNodeArgs(), ...(options.nodeArgs ?? []), 'src/start.js'], {
    cwd: root,
    // The local runtime's router on a free port: several bench servers may run at once.
    env: { ...process.env, CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(port), CFAPI_ROUTER_PORT: '0', CFAPI_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', options.showStderr ? 'inherit' : 'pipe'],
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

export async function stopBenchServer(server: BenchServer): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

/** One JSON request; anything but a 2xx throws with the status and body. */
export async function callApi(url: string, headers: Headers, { method, path, body }: ApiCall): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...headers, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Runs `work` for every index, `concurrency` at a time. */
export async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** The p50 latency in ms of `count` GETs sent one at a time, after a few to warm up. */
export async function latencyP50(url: string, headers: Headers, path: string, count: number): Promise<number> {
  for (let index = 0; index < Math.min(10, count); index++) await callApi(url, headers, { method: 'GET', path });
  const latencies: number[] = [];
  for (let index = 0; index < count; index++) {
    const begin = performance.now();
    await callApi(url, headers, { method: 'GET', path });
    latencies.push(performance.now() - begin);
  }
  return median(latencies);
}

/** The Authorization header of a client certificate user, as the cf CLI sends it. */
export const clientCertHeader = (pair: { certificatePem: string; privateKeyPem: string }): Headers => ({
  Authorization: `ClientCert ${Buffer.from(pair.certificatePem + pair.privateKeyPem).toString('base64')}`,
});

/** One org, the spaces, the apps spread over them (through the API), and a space developer of the first 10 spaces. */
export async function seedApps(
  url: string,
  admin: Headers,
  {
    apps: appCount,
    spaces: spaceCount,
    developer: developerName,
    concurrency,
  }: { apps: number; spaces: number; developer: string; concurrency: number },
): Promise<{ appGuids: string[] }> {
  const org = await callApi(url, admin, { method: 'POST', path: '/v3/organizations', body: { name: 'bench-org' } });
  const orgGuid = org['guid'] as string;
  const spaceGuids: string[] = [];
  for (let index = 0; index < spaceCount; index++) {
    const space = await callApi(url, admin, {
      method: 'POST',
      path: '/v3/spaces',
      body: {
        name: `space-${index}`,
        relationships: { organization: { data: { guid: orgGuid } } },
      },
    });
    spaceGuids.push(space['guid'] as string);
  }
  const appGuids: string[] = [];
  const began = performance.now();
  await inParallel(appCount, concurrency, async (index) => {
    const app = await callApi(url, admin, {
      method: 'POST',
      path: '/v3/apps',
      body: {
        name: `app-${index}`,
        relationships: { space: { data: { guid: spaceGuids[index % spaceCount] } } },
      },
    });
    appGuids.push(app['guid'] as string);
  });
  process.stdout.write(`  seeded ${appCount} apps in ${spaceCount} spaces in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  const user = { username: developerName };
  await callApi(url, admin, {
    method: 'POST',
    path: '/v3/roles',
    body: {
      type: 'organization_user',
      relationships: { user: { data: user }, organization: { data: { guid: orgGuid } } },
    },
  });
  for (const spaceGuid of spaceGuids.slice(0, 10))
    await callApi(url, admin, {
      method: 'POST',
      path: '/v3/roles',
      body: {
        type: 'space_developer',
        relationships: { user: { data: user }, space: { data: { guid: spaceGuid } } },
      },
    });
  return { appGuids };
}
