import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { StagingFailed } from '../../app-runtime.ts';

/** One line of a staging's output, as `LocalStager.stage` hands it to its `log`. */
export type StagingLogLine = { text: string; stream: 'stdout' | 'stderr' };
export type StagingLog = (line: StagingLogLine) => void;

/** CF's build error for a buildpack whose compile (supply/finalize) phase failed (`BuildpackCompileFailed`). */
export const compileFailed = 'BuildpackCompileFailed - App staging failed in the buildpack compile phase';

/** How long a step's output may still arrive after its process ended (a child it left may hold the pipes). */
const drainMs = 1000;
/** A line longer than this is cut into pieces rather than kept whole in memory. */
const maxLineChars = 16 * 1024;
/** Tool output is indented under the step line, as CF's buildpacks print it. */
const indent = '       ';

/** An `AbortError`, as the runtime port's `stage` rejects with when its signal aborts. */
export function abortError(signal: AbortSignal): DOMException {
  return Object.assign(new DOMException('The staging was aborted', 'AbortError'), { cause: signal.reason as unknown });
}

/** A step line (`-----> Installing dependencies`) on stdout. */
export function step(log: StagingLog, text: string): void {
  log({ text: `-----> ${text}`, stream: 'stdout' });
}

/** A line under the current step, indented. */
export function detail(log: StagingLog, text: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
  log({ text: `${indent}${text}`, stream });
}

export type CommandOptions = {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  log: StagingLog;
  /** What the tool is, for the message when it is not installed (e.g. `Go (go)`). */
  tool: string;
  /** Which buildpack needs it, for the same message. */
  buildpack: string;
};

/**
 * Runs one build command in its own process group, each line of its output going to `log` as it comes
 * (stdout and stderr apart), and resolves with its exit code. The whole group is killed once the
 * command ends (nothing it started outlives its step) and at once when `signal` aborts, which rejects
 * with an `AbortError`. A command that cannot start at all (not installed) is a `StagingFailed` naming it.
 */
export async function runCommand(command: string, args: readonly string[], options: CommandOptions): Promise<number> {
  const { signal, log } = options;
  if (signal.aborted) throw abortError(signal);
  detail(log, `$ ${[command, ...args].join(' ')}`);
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const killGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  };
  const outputs = [forwardLines(child.stdout, 'stdout', log), forwardLines(child.stderr, 'stderr', log)];
  signal.addEventListener('abort', killGroup, { once: true });
  try {
    const exit = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, killedBy) => resolve(code ?? (killedBy === null ? 1 : 128 + signalNumber(killedBy))));
    });
    killGroup();
    await drained(outputs, child.stdout, child.stderr);
    if (signal.aborted) throw abortError(signal);
    return exit;
  } catch (error) {
    killGroup();
    child.stdout.destroy();
    child.stderr.destroy();
    if (signal.aborted) throw abortError(signal);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'EACCES') {
      const text = `The ${options.buildpack} needs ${options.tool} on this machine, and '${command}' cannot be run: install it (or make it found on PATH) and push again.`;
      log({ text, stream: 'stderr' });
      throw new StagingFailed(text, { cause: error });
    }
    throw error;
  } finally {
    signal.removeEventListener('abort', killGroup);
  }
}

/** Runs a command that must succeed: a non-zero exit is CF's compile-phase failure (its output is logged already). */
export async function runBuildStep(command: string, args: readonly string[], options: CommandOptions): Promise<void> {
  const exit = await runCommand(command, args, options);
  if (exit !== 0) {
    options.log({ text: `${indent}'${command}' failed with exit status ${exit}`, stream: 'stderr' });
    throw new StagingFailed(compileFailed);
  }
}

/** Waits for both outputs to end, but not for ever: a process the step left behind may hold them open. */
async function drained(outputs: Promise<void>[], ...streams: Readable[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      for (const stream of streams) stream.destroy();
      resolve();
    }, drainMs);
  });
  await Promise.race([Promise.all(outputs), late]);
  clearTimeout(timer);
}

/** Hands each line of `stream` to `log` as soon as it is complete; the last one even without a newline. */
async function forwardLines(stream: Readable, name: 'stdout' | 'stderr', log: StagingLog): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const emit = (line: string) => log({ text: `${indent}${line.replace(/\r$/, '')}`, stream: name });
  try {
    for await (const chunk of stream) {
      pending += decoder.write(chunk as Buffer);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) emit(line);
      while (pending.length > maxLineChars) {
        emit(pending.slice(0, maxLineChars));
        pending = pending.slice(maxLineChars);
      }
    }
  } catch {
    // Destroyed after its process ended: what came until then was logged.
  }
  pending += decoder.end();
  if (pending !== '') emit(pending);
}

function signalNumber(name: NodeJS.Signals): number {
  return constants.signals[name] ?? 0;
}
