import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, npmStartNodeArgs, projectRoot } from '../test/support/server-process.ts';

/**
 * What bench/push-bench.ts needs around the real cf CLI: `npm start` with its router on a known port,
 * the cf CLI run with its output lines timed, the API called with the admin's token, and the processes
 * of the local runtime read from /proc.
 */

export type PushServer = { child: ChildProcess; pid: number; url: string; routerPort: number; output: () => string };

/**
 * Starts the server as `npm start` does (`node [its options] src/start.js`), in a process group of its
 * own, with its API and its router on free ports, and waits until it says it is listening. `nodeArgs`
 * go after npm start's options (e.g. `--cpu-prof`).
 */
export async function startPushServer(dataDir: string, nodeArgs: readonly string[] = []): Promise<PushServer> {
  const [port, routerPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [...npmStartNodeArgs(), ...nodeArgs, 'src/start.js'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      CFAPI_DATA_DIR: dataDir,
      CFAPI_LISTEN_PORT: String(port),
      CFAPI_ROUTER_PORT: String(routerPort),
      CFAPI_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const began = performance.now();
  while (!output.includes('Router: apps answer at')) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
    if (performance.now() - began > 60_000) throw new Error(`the server did not start within 60 s:\n${output}`);
    await sleep(20);
  }
  return { child, pid: child.pid!, url: `http://127.0.0.1:${port}`, routerPort, output: () => output };
}

/**
 * SIGTERM to the server (it stops its instances as on Ctrl-C), SIGKILL to its group after 30 s; then
 * every process still working under the data directory (an instance the server left) is killed by PID.
 * Answers the PIDs that had to be killed that way (none, when the server cleans up after itself).
 */
export async function stopPushServer(server: PushServer, dataDir: string): Promise<number[]> {
  if (server.child.exitCode === null && server.child.signalCode === null) {
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }, 30_000);
    await exited;
    clearTimeout(timer);
  }
  const left = processesUnder(dataDir);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  return left;
}

/** PIDs of the processes whose working directory is under `dir` (the runtime's instances and builds). */
export function processesUnder(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** The processes on this machine whose environment names the app (its GUID is in their VCAP_APPLICATION), with their PORT. */
export function processesOfApp(appGuid: string): { pid: number; port: number | undefined }[] {
  const found: { pid: number; port: number | undefined }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string[];
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
    } catch {
      continue;
    }
    if (!environ.some((variable) => variable.startsWith('VCAP_APPLICATION=') && variable.includes(appGuid))) continue;
    const port = environ.find((variable) => variable.startsWith('PORT='))?.slice('PORT='.length);
    found.push({ pid: Number(entry), port: port === undefined ? undefined : Number(port) });
  }
  return found;
}

/** The resident set of a process, in KiB (0 when it is gone). */
export function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** CPU time a process has used (user + system), in µs (Linux /proc, clock ticks of 10 ms); 0 when it is gone. */
export function cpuMicros(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

/** The admin's bearer token from the kubeconfig the server wrote into its data directory. */
export function adminToken(kubeconfig: string): string {
  const token = /^\s*token:\s*(\S+)\s*$/m.exec(readFileSync(kubeconfig, 'utf8'))?.[1];
  if (!token) throw new Error(`no token in ${kubeconfig}`);
  return token;
}

/** GET of the API with the admin's token; anything but a 2xx throws. */
export function apiClient(url: string, token: string): <T = Record<string, unknown>>(path: string) => Promise<T> {
  return async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
}

/** A finished cf command: its exit code, output, wall time, and when (ms since it was spawned) each marker first appeared in its output. */
export type CfRun = { code: number; output: string; wallMs: number; startedAt: number; markers: Record<string, number> };

/**
 * `cf <args>` as a user runs it (its own CF_HOME and KUBECONFIG, nothing of the bench's CF_ variables),
 * with `CF_TRACE` to `trace` when given; `markers` are texts of its output whose first appearance is timed.
 */
export function runCf(
  cli: { binary: string; home: string; kubeconfig: string },
  args: string[],
  options: { cwd?: string; trace?: string; markers?: readonly string[] } = {},
): Promise<CfRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('CF_') && key !== 'KUBECONFIG' && !/_PROXY$/i.test(key)),
  );
  const env = {
    ...inherited,
    CF_HOME: cli.home,
    KUBECONFIG: cli.kubeconfig,
    CF_COLOR: 'false',
    ...(options.trace ? { CF_TRACE: options.trace } : {}),
  };
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(cli.binary, args, { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const markers: Record<string, number> = {};
    const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      for (const marker of options.markers ?? [])
        if (markers[marker] === undefined && output.includes(marker)) markers[marker] = performance.now() - startedAt;
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output, wallMs: performance.now() - startedAt, startedAt, markers });
    });
  });
}

/** Runs a cf command and throws with its output unless it exits 0. */
export async function cfOk(cli: Parameters<typeof runCf>[0], args: string[], options: Parameters<typeof runCf>[2] = {}): Promise<CfRun> {
  const run = await runCf(cli, args, options);
  if (run.code !== 0) throw new Error(`cf ${args.join(' ')} exited ${run.code}:\n${run.output}`);
  return run;
}

/** The requests of a CF_TRACE file, in order: `{method, path}` of each REQUEST block. */
export function tracedRequests(trace: string): { method: string; path: string }[] {
  const requests: { method: string; path: string }[] = [];
  const pattern = /^REQUEST: \[[^\]]*\]\n([A-Z]+) (\S+) HTTP/gm;
  for (let match = pattern.exec(trace); match !== null; match = pattern.exec(trace)) requests.push({ method: match[1]!, path: match[2]! });
  return requests;
}
