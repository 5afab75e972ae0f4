import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, projectRoot } from '../../support/server-process.ts';

export type ApiServer = { url: string; dataDir: string; output: () => string; stop: () => Promise<void> };

/**
 * `npm start` as a person runs it, in its own process group, on a free port (or `port`) with a fresh
 * data directory; `args` are what the person would add after `--`. Resolves once it says it is listening.
 */
export async function startApiServer(options: { args?: string[]; env?: Record<string, string>; port?: number } = {}): Promise<ApiServer> {
  const port = options.port ?? (await freePort());
  const dataDir = join(await mkdtemp(join(tmpdir(), 'cf-e2e-')), 'data');
  const child = spawn('npm', ['start', '--silent', ...(options.args ? ['--', ...options.args] : [])], {
    cwd: projectRoot,
    env: { ...process.env, CFAPI_LISTEN_PORT: String(port), CFAPI_DATA_DIR: dataDir, CFAPI_LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await listening(child, () => output);
  return { url: `http://127.0.0.1:${port}`, dataDir, output: () => output, stop: () => stopGroup(child) };
}

function listening(child: ChildProcess, output: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not listen within 60 s:\n${output()}`)), 60_000);
    const check = () => {
      if (!output().includes('listening on')) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output()}`));
    });
  });
}

/** SIGTERM to npm and the server under it (the whole group), as Ctrl-C would. */
export async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
