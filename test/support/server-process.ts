import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export { freePort } from '../../scripts/control-plane/processes.ts';

export const projectRoot = new URL('../../', import.meta.url).pathname;

export type ServerProcess = { child: ChildProcess; output: () => string };

/**
 * The Node options `npm start` gives (its script is `node [options] src/start.js`), so that tests and
 * benches start the server exactly as users do; a script of another form fails loudly rather than
 * starting something else.
 */
export function npmStartNodeArgs(): string[] {
  const script = (JSON.parse(readFileSync(`${projectRoot}package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start;
  const options = /^node((?:\s+--\S+)*)\s+src\/start\.js$/.exec(script.trim())?.[1];
  if (options === undefined) throw new Error(`npm start is not 'node [options] src/start.js': ${script}`);
  return options.split(/\s+/).filter(Boolean);
}

/** Starts `node [npm start's options] src/start.js` as `npm start` does and waits until it announces it is listening. */
export async function startServerProcess(env: Record<string, string>, args: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...npmStartNodeArgs(), 'src/start.js', ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 60 s:\n${output}`)), 60_000);
    child.stderr.on('data', () => {
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return { child, output: () => output };
}
