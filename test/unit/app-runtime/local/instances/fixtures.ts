import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AppLogLine } from '../../../../../src/app-runtime/app-logs.ts';
import type { ProcessWorkload } from '../../../../../src/app-runtime/app-runtime.ts';

/** A log sink that keeps every line, for assertions. */
export class CollectedLogs {
  readonly lines: AppLogLine[] = [];
  write(line: AppLogLine): void {
    this.lines.push(line);
  }
  texts(sourceType: string): string[] {
    return this.lines.filter((line) => line.sourceType === sourceType).map((line) => line.text);
  }
}

/**
 * A small Node web app: answers `/` and `/health` with 200, `/env` with its environment and cwd, `/fail`
 * with 500; waits START_DELAY_MS before listening; stops listening after STOP_LISTENING_MS if set.
 */
const server = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  if (req.url === '/env') return res.end(JSON.stringify({ env: process.env, cwd: process.cwd() }));
  if (req.url === '/fail') { res.statusCode = 500; return res.end('no'); }
  res.end('ok ' + process.env.CF_INSTANCE_GUID);
});
setTimeout(() => server.listen(Number(process.env.PORT), process.env.CF_INSTANCE_IP, () => {
  console.log('listening on ' + process.env.PORT);
  console.error('a line on stderr');
  if (process.env.STOP_LISTENING_MS) setTimeout(() => { server.close(); setInterval(() => {}, 1000); }, Number(process.env.STOP_LISTENING_MS));
}), Number(process.env.START_DELAY_MS || 0));
`;

/** Burns CPU until killed. */
const busy = `for (;;) { Math.sqrt(Math.random()); }`;

/** Allocates (and touches) memory step by step until killed. */
const hog = `
const kept = [];
setInterval(() => { kept.push(Buffer.alloc(16 * 1024 * 1024, 1)); console.log('allocated ' + kept.length * 16 + ' MB'); }, 20);
`;

/** The droplets the fake unpacker knows, by image: files relative to the droplet's root. */
const droplets: Record<string, Record<string, string>> = {
  'local-droplet:web': { 'server.js': server, 'busy.js': busy, 'hog.js': hog },
  'local-droplet:nested': { 'app/server.js': server, 'app/.profile.d/setup.sh': 'export FROM_PROFILE_D=yes\n', 'tmp/.keep': '' },
};

/** An `unpackDroplet` that writes the scripts above into the dir, as the stager's would unpack a droplet. */
export async function fakeUnpack(image: string, dir: string): Promise<void> {
  const files = droplets[image];
  if (files === undefined) throw new Error(`no droplet ${image}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

export const workload = (overrides: Partial<ProcessWorkload> = {}): ProcessWorkload => ({
  processGuid: 'process-1',
  appGuid: 'app-1',
  spaceGuid: 'space-1',
  processType: 'web',
  droplet: { guid: 'droplet-1', image: 'local-droplet:web' },
  command: `"${process.execPath}" server.js`,
  instances: 1,
  memoryMB: 256,
  diskMB: 1024,
  healthCheck: { type: 'port' },
  ports: [8080],
  environment: {},
  revision: '1',
  ...overrides,
});

/** Whether a PID is alive (zombies count as gone: the supervisor reaps its children). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return true;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds, or fails with `what` after `timeoutMs`. */
export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
