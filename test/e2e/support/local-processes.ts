import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { CfCli } from './cf-cli.ts';

/**
 * The processes on this machine whose environment names the app (its GUID is in the VCAP_APPLICATION
 * every instance and task of it gets): what the local runtime still runs of an app.
 */
export async function runningProcessesOf(appGuid: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
    if (environ.split('\0').some((variable) => variable.startsWith('VCAP_APPLICATION=') && variable.includes(appGuid)))
      found.push(Number(entry));
  }
  return found;
}

/** `cf <args>` running in the background as the user's CLI (a streaming `cf logs`), until stopped. */
export function streamCf(cf: CfCli, ...args: string[]): { output: () => string; stop: () => void } {
  const child = spawn(cf.binary, args, { env: cf.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { output: () => output, stop: () => child.kill('SIGINT') };
}
