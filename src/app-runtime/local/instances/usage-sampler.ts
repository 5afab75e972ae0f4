import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pageSize, readProcTable, ticksPerSecond, type ProcEntry } from './proc-stats.ts';

export type GroupUsage = { cpu: number; memoryBytes: number; diskBytes: number };

type Watched = {
  dir: string;
  limitBytes: number | undefined;
  onOverLimit: (memoryBytes: number) => void;
  overLimit: boolean;
  last?: { ticks: number; at: number };
  cpu: number;
  memoryBytes: number;
  diskBytes: number;
  diskAt: number;
  measuring: boolean;
  sampled: boolean;
};

/** How many directory entries one disk measure looks at, at most (a huge tree is reported as what was seen). */
const maxDiskEntries = 200_000;

/** Bytes of the files under `dir` (symlinks not followed), walked without blocking the event loop. */
export async function directoryBytes(dir: string): Promise<number> {
  let bytes = 0;
  let seen = 0;
  const pending = [dir];
  while (pending.length > 0 && seen < maxDiskEntries) {
    const current = pending.pop()!;
    const entries = await readdir(current, { withFileTypes: true }).catch(() => []);
    seen += entries.length;
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else bytes += (await lstat(path).catch(() => undefined))?.size ?? 0;
    }
  }
  return bytes;
}

/**
 * Measures the process groups it watches, in the background: CPU (fraction of one core since the
 * previous sample, summed over the group's processes) and resident memory from /proc every
 * `intervalMs`, the working copy's bytes every `diskIntervalMs`. A group whose memory exceeds its
 * limit in a sample is reported once to `onOverLimit` (which kills it, as the kernel's OOM killer
 * would kill a container). Without /proc nothing is measured.
 */
export class UsageSampler {
  readonly #intervalMs: number;
  readonly #diskIntervalMs: number;
  readonly #watched = new Map<number, Watched>();
  #timer: NodeJS.Timeout | undefined;
  #sampling = false;

  constructor(options: { intervalMs: number; diskIntervalMs: number }) {
    this.#intervalMs = options.intervalMs;
    this.#diskIntervalMs = options.diskIntervalMs;
  }

  /** Starts measuring a group; returns what stops it. */
  watch(pgid: number, options: { dir: string; limitBytes?: number | undefined; onOverLimit?: (memoryBytes: number) => void }): () => void {
    const watched: Watched = {
      dir: options.dir,
      limitBytes: options.limitBytes,
      onOverLimit: options.onOverLimit ?? (() => undefined),
      overLimit: false,
      cpu: 0,
      memoryBytes: 0,
      diskBytes: 0,
      diskAt: 0,
      measuring: false,
      sampled: false,
    };
    this.#watched.set(pgid, watched);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.sample(), this.#intervalMs);
      this.#timer.unref();
      void this.sample();
    }
    return () => {
      if (this.#watched.get(pgid) === watched) this.#watched.delete(pgid);
      if (this.#watched.size === 0) this.#stopTimer();
    };
  }

  /** The latest measures of a group, or undefined before the first sample (or without /proc). */
  usage(pgid: number): GroupUsage | undefined {
    const watched = this.#watched.get(pgid);
    if (watched === undefined || !watched.sampled) return undefined;
    return { cpu: watched.cpu, memoryBytes: watched.memoryBytes, diskBytes: watched.diskBytes };
  }

  /** One round of measures (the timer calls it; tests may too). */
  async sample(): Promise<void> {
    if (this.#sampling || this.#watched.size === 0) return;
    this.#sampling = true;
    try {
      const table = await readProcTable();
      if (table === undefined) return;
      const byGroup = new Map<number, ProcEntry[]>();
      for (const entry of table) {
        if (!this.#watched.has(entry.pgid)) continue;
        const members = byGroup.get(entry.pgid);
        if (members === undefined) byGroup.set(entry.pgid, [entry]);
        else members.push(entry);
      }
      const now = Date.now();
      for (const [pgid, watched] of this.#watched) this.#update(watched, byGroup.get(pgid) ?? [], now);
    } finally {
      this.#sampling = false;
    }
  }

  close(): void {
    this.#watched.clear();
    this.#stopTimer();
  }

  #update(watched: Watched, members: readonly ProcEntry[], now: number): void {
    const live = members.filter((entry) => entry.state !== 'Z' && entry.state !== 'X');
    const ticks = live.reduce((sum, entry) => sum + entry.ticks, 0);
    if (watched.last !== undefined && now > watched.last.at) {
      // A process that ended takes its ticks away: never below zero.
      watched.cpu = Math.max(0, (ticks - watched.last.ticks) / ticksPerSecond / ((now - watched.last.at) / 1000));
    }
    watched.last = { ticks, at: now };
    watched.memoryBytes = live.reduce((sum, entry) => sum + entry.rssPages, 0) * pageSize();
    watched.sampled = true;
    if (watched.limitBytes !== undefined && watched.memoryBytes > watched.limitBytes && !watched.overLimit) {
      watched.overLimit = true;
      watched.onOverLimit(watched.memoryBytes);
    }
    if (!watched.measuring && now - watched.diskAt >= this.#diskIntervalMs) {
      watched.measuring = true;
      watched.diskAt = now;
      void directoryBytes(watched.dir).then((bytes) => {
        watched.diskBytes = bytes;
        watched.measuring = false;
      });
    }
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
