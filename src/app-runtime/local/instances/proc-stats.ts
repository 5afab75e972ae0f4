import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** One process as Linux's /proc/<pid>/stat describes it (the fields the runtime needs). */
export type ProcEntry = {
  pid: number;
  /** The process group it belongs to. */
  pgid: number;
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  /** User plus system CPU time, in clock ticks. */
  ticks: number;
  /** Resident set size, in pages. */
  rssPages: number;
  /** When it started, in clock ticks after boot: with the PID, a fingerprint no reused PID shares. */
  startTime: number;
};

/** Clock ticks per second (USER_HZ): 100 on every Linux the runtime targets. */
export const ticksPerSecond = 100;

/** The fields of a stat line. The command name, in parentheses, may hold spaces and parentheses itself. */
export function parseStat(text: string): ProcEntry | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // Field numbers of proc(5), counted from `state` (field 3) as index 0.
  const [state, pgid, utime, stime, startTime, rss] = [fields[0], fields[2], fields[11], fields[12], fields[19], fields[21]];
  if (state === undefined || rss === undefined) return undefined;
  return {
    pid: Number(text.slice(0, open).trim()),
    pgid: Number(pgid),
    state,
    ticks: Number(utime) + Number(stime),
    rssPages: Number(rss),
    startTime: Number(startTime),
  };
}

let procAvailable: boolean | undefined;

/** Whether this machine has a Linux /proc to read usage and process groups from. */
export function hasProc(): boolean {
  if (procAvailable === undefined) {
    try {
      procAvailable = parseStat(readFileSync('/proc/self/stat', 'utf8')) !== undefined;
    } catch {
      procAvailable = false;
    }
  }
  return procAvailable;
}

/** Every process of the machine, or undefined without /proc. Processes that end while it reads are skipped. */
export async function readProcTable(): Promise<ProcEntry[] | undefined> {
  if (!hasProc()) return undefined;
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const entries = await Promise.all(
    pids.map(async (pid) => {
      try {
        return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return undefined;
      }
    }),
  );
  return entries.filter((entry) => entry !== undefined);
}

/** The same, read synchronously (for the few places that must not yield, such as recording a group just spawned). */
export function readProcEntrySync(pid: number): ProcEntry | undefined {
  if (!hasProc()) return undefined;
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

let reading: Promise<ProcEntry[] | undefined> | undefined;
let queued: Promise<ProcEntry[] | undefined> | undefined;

/**
 * The process table, read after this call, shared by callers that ask at once: a caller that comes while
 * a read is under way gets the next one (which starts when that read ends), never one begun before it
 * asked. Fifty groups stopping together then cost a few reads of /proc per round, not fifty.
 */
export function freshProcTable(): Promise<ProcEntry[] | undefined> {
  if (reading === undefined) {
    const read = readProcTable().finally(() => {
      if (reading === read) reading = undefined;
    });
    return (reading = read);
  }
  return (queued ??= reading.then(
    () => next(),
    () => next(),
  ));
}

function next(): Promise<ProcEntry[] | undefined> {
  queued = undefined;
  return freshProcTable();
}

/** Live (not zombie) processes of a group; without /proc, a group that answers signal 0 counts as one process. */
export async function groupMembers(pgid: number): Promise<ProcEntry[]> {
  const table = await freshProcTable();
  if (table !== undefined) return table.filter((entry) => entry.pgid === pgid && entry.state !== 'Z' && entry.state !== 'X');
  try {
    process.kill(-pgid, 0);
    return [{ pid: pgid, pgid, state: '?', ticks: 0, rssPages: 0, startTime: 0 }];
  } catch {
    return [];
  }
}

let pageBytes: number | undefined;

/**
 * The size of a memory page: the server's own RSS in bytes over its RSS in pages, rounded to a power of
 * two (4 KiB on most machines, 16 or 64 KiB on some ARM ones), so RSS in pages converts without getconf.
 */
export function pageSize(): number {
  if (pageBytes === undefined) {
    pageBytes = 4096;
    try {
      const pages = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
      const ratio = process.memoryUsage().rss / pages;
      if (Number.isFinite(ratio) && ratio > 0) pageBytes = 2 ** Math.round(Math.log2(ratio));
    } catch {
      // No /proc: usage is not reported, the default does not matter.
    }
  }
  return pageBytes;
}
