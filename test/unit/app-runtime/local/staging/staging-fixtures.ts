import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import type { StagingRequest } from '../../../../../src/app-runtime/app-runtime.ts';
import { launchScript } from '../../../../../src/app-runtime/local/instances/workload-environment.ts';
import type { StagingLogLine } from '../../../../../src/app-runtime/local/staging/local-stager.ts';

export const fixturesDir = resolve(fileURLToPath(new URL('../../../../fixtures/apps', import.meta.url)));

/** An entry added to a zip as given: `name` may be one yazl refuses (it is written in place of a stand-in of the same length). */
export type RawEntry = { name: string; content?: string; mode?: number };

/**
 * A zip of `dir` as the cf CLI makes one: relative paths, directory entries, unix modes (symbolic
 * links as links), plus `extra` entries.
 */
export async function zipDirectory(dir: string | undefined, extra: readonly RawEntry[] = []): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  if (dir !== undefined) await addDirectory(zip, dir, '');
  const renames: [string, string][] = [];
  for (const [index, entry] of extra.entries()) {
    // A name of the same length (one letter per extra entry), replaced by the real one in the bytes.
    const standIn = String.fromCharCode(0x61 + index).repeat(entry.name.length);
    const name = /(^|\/)\.\.(\/|$)|^\//.test(entry.name) ? standIn : entry.name;
    if (name !== entry.name) renames.push([name, entry.name]);
    zip.addBuffer(Buffer.from(entry.content ?? ''), name, { mode: entry.mode ?? 0o100644 });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  let bytes: Buffer = Buffer.concat(chunks);
  for (const [standIn, name] of renames) bytes = replaceAll(bytes, Buffer.from(standIn), Buffer.from(name));
  return bytes;
}

async function addDirectory(zip: yazl.ZipFile, dir: string, prefix: string): Promise<void> {
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const info = await lstat(path);
    const entryName = `${prefix}${name}`;
    if (info.isSymbolicLink()) zip.addBuffer(Buffer.from(await readlink(path)), entryName, { mode: 0o120777 });
    else if (info.isDirectory()) {
      zip.addEmptyDirectory(`${entryName}/`, { mode: info.mode });
      await addDirectory(zip, path, `${entryName}/`);
    } else zip.addBuffer(await readFile(path), entryName, { mode: info.mode });
  }
}

function replaceAll(bytes: Buffer, from: Buffer, to: Buffer): Buffer {
  for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + to.length)) to.copy(bytes, at);
  return bytes;
}

export function stagingRequest(zip: Buffer, overrides: Partial<StagingRequest> = {}): StagingRequest {
  return {
    buildGuid: 'build-1',
    appGuid: 'app-1',
    spaceGuid: 'space-1',
    source: { type: 'bits', open: async () => Readable.from([zip]) },
    buildpacks: [],
    stack: 'cflinuxfs4',
    environment: {},
    memoryMB: 256,
    diskMB: 1024,
    ...overrides,
  };
}

/** Collects what a staging logs. */
export function logCollector(): { log: (line: StagingLogLine) => void; lines: StagingLogLine[]; text: () => string } {
  const lines: StagingLogLine[] = [];
  return { log: (line) => lines.push(line), lines, text: () => lines.map((line) => line.text).join('\n') };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * A droplet command started as the running part starts it: `/bin/sh -c` with its launch script (which
 * sources the droplet's `.profile.d`), from the app dir, which is also HOME, in its own process group.
 */
export function startCommand(dir: string, command: string, env: Record<string, string>): ChildProcess & { output: () => string } {
  const child = spawn('/bin/sh', ['-c', launchScript(command)], {
    cwd: dir,
    env: { ...env, HOME: dir },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return Object.assign(child, { output: () => output });
}

/** Kills a process group started by `startCommand` (no error when it is gone). */
export function killGroup(child: ChildProcess | undefined): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/** GETs `url` until something answers (the app is starting), for at most `ms`. */
export async function fetchWhenUp(url: string, ms = 15_000): Promise<Response> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/** Whether the process runs (a zombie nobody reaped, as in a container whose init does not, is not running). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
