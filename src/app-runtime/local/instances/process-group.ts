import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupMembers } from './proc-stats.ts';

export type OutputLine = { text: string; stream: 'stdout' | 'stderr' };
export type LeaderExit = { code: number | null; signal: NodeJS.Signals | null };

/** Loggregator's limit: a longer line is cut in pieces of this many characters. */
const maxLineChars = 61_440;
/** How often a group that was signalled is looked at until none of its processes is left. */
const pollMs = 50;
/** How long a group may take to vanish after SIGKILL (a process in uninterruptible sleep takes a while). */
const killWaitMs = 5_000;

/** The exit status as a shell reports it: the code, or 128 + the signal's number (137 for SIGKILL). */
export function exitStatus(exit: LeaderExit): number {
  if (exit.code !== null) return exit.code;
  return 128 + (exit.signal === null ? 0 : (constants.signals[exit.signal] ?? 0));
}

/** Sends a signal to every process of a group; a group already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: nothing left to signal. EPERM cannot happen for groups this server started.
  }
}

/** Waits until no live process is left in the group; false if some still are after `ms`. */
export async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if ((await groupMembers(pgid)).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(pollMs);
  }
}

/**
 * Ends a whole group as CF stops an instance: SIGTERM to every process, SIGKILL to what is left after
 * `graceMs`. Resolves once nothing is left; tells whether SIGKILL was needed.
 */
export async function endGroup(pgid: number, graceMs: number): Promise<{ killed: boolean }> {
  if ((await groupMembers(pgid)).length === 0) return { killed: false };
  signalGroup(pgid, 'SIGTERM');
  if (await waitGroupGone(pgid, graceMs)) return { killed: false };
  signalGroup(pgid, 'SIGKILL');
  await waitGroupGone(pgid, killWaitMs);
  return { killed: true };
}

/** Splits a stream into lines (LF or CRLF), cutting lines longer than Loggregator keeps. */
function forEachLine(stream: Readable, onLine: (text: string) => void): void {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const emit = (text: string): void => {
    const line = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (line.length <= maxLineChars) onLine(line);
    else for (let start = 0; start < line.length; start += maxLineChars) onLine(line.slice(start, start + maxLineChars));
  };
  stream.on('data', (chunk: Buffer) => {
    const lines = (pending + decoder.write(chunk)).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) emit(line);
    while (pending.length > maxLineChars) {
      onLine(pending.slice(0, maxLineChars));
      pending = pending.slice(maxLineChars);
    }
  });
  stream.on('end', () => {
    pending += decoder.end();
    if (pending.length > 0) emit(pending);
  });
}

/**
 * One command run by `/bin/sh -c` as the leader of a new process group (and session), so that the
 * command and everything it starts can be signalled together. Stdin is closed; each line the group
 * writes to stdout or stderr goes to `onLine`.
 */
export class ProcessGroup {
  /** The group's ID: the leader's PID. */
  readonly pgid: number;
  /** Resolves when the leader (the shell, or what it exec'd) exits; other processes of the group may live on. */
  readonly exited: Promise<LeaderExit>;
  private constructor(child: ChildProcess, pgid: number) {
    this.pgid = pgid;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Starts the group; rejects when the shell cannot be started (a missing working directory, say). */
  static async spawn(options: {
    command: string;
    cwd: string;
    env: Readonly<Record<string, string>>;
    onLine: (line: OutputLine) => void;
  }): Promise<ProcessGroup> {
    const child = spawn('/bin/sh', ['-c', options.command], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) {
      const [error] = (await once(child, 'error')) as [Error];
      throw error;
    }
    child.on('error', () => {
      // Errors after a successful spawn (a failed kill) are seen through the group's state instead.
    });
    forEachLine(child.stdout, (text) => options.onLine({ text, stream: 'stdout' }));
    forEachLine(child.stderr, (text) => options.onLine({ text, stream: 'stderr' }));
    return new ProcessGroup(child, child.pid);
  }

  signal(signal: NodeJS.Signals): void {
    signalGroup(this.pgid, signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the leader has exited and the group is empty. */
  async stop(graceMs: number): Promise<{ killed: boolean }> {
    const result = await endGroup(this.pgid, graceMs);
    await this.exited;
    return result;
  }

  /** SIGKILL to the whole group (what a crashed instance's container gets); resolves once it is empty. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await waitGroupGone(this.pgid, killWaitMs);
    await this.exited;
  }
}
