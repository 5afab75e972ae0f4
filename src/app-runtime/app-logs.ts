/** One line an app, its staging or one of its tasks wrote, as log-cache serves it. */
export type AppLogLine = {
  /** The app's GUID (log-cache's source ID). */
  appGuid: string;
  /** `STG` for staging, `APP/PROC/<TYPE>` for a process instance, `APP/TASK/<NAME>` for a task. */
  sourceType: string;
  /** The instance index (`0` for a staging and for a task, as CF's cells tag them). */
  instance: string;
  text: string;
  stream: 'stdout' | 'stderr';
  timestamp: Date;
};

/** A kept line with its place in time: nanoseconds since the epoch, unique and increasing per app. */
export type KeptLogLine = AppLogLine & { timestampNs: bigint };

/** Where a runtime sends the lines apps write. */
export type AppLogSink = { write(line: AppLogLine): void };

/** Loggregator cuts longer lines; a line kept here is cut to this many characters. */
const maxLineLength = 61_440;

/** What a kept line costs, roughly: its text (UTF-16) and the object around it. */
const costOf = (text: string): number => text.length * 2 + 200;

/**
 * The most recent lines of each app, in memory, for the log-cache API: at most `linesPerApp` per app,
 * `apps` apps and about `bytes` bytes in all (beyond either, the app written to least recently goes
 * first, so a deleted app's lines go in time; one app alone beyond `bytes` loses its older half).
 * Lines of one app stay in the order they were written, each with a timestamp in nanoseconds unique
 * to the app (lines written in the same millisecond are a nanosecond apart), so a reader that walks
 * forward from the last timestamp it saw, as the cf CLI does, neither misses nor repeats a line.
 */
export class RecentAppLogs implements AppLogSink {
  readonly #perApp: number;
  readonly #apps: number;
  readonly #maxBytes: number;
  #bytes = 0;
  /** In order of the last write (a Map iterates in insertion order; a write re-inserts its app). */
  readonly #lines = new Map<string, { lines: KeptLogLine[]; lastNs: bigint; bytes: number }>();

  constructor(options: { linesPerApp: number; apps?: number; bytes?: number }) {
    this.#perApp = options.linesPerApp;
    this.#apps = options.apps ?? 10_000;
    this.#maxBytes = options.bytes ?? 64 * 1024 * 1024;
  }

  write(line: AppLogLine): void {
    let kept = this.#lines.get(line.appGuid);
    if (kept === undefined) kept = { lines: [], lastNs: 0n, bytes: 0 };
    else this.#lines.delete(line.appGuid);
    this.#lines.set(line.appGuid, kept);
    const ms = BigInt(line.timestamp.getTime()) * 1_000_000n;
    kept.lastNs = ms > kept.lastNs ? ms : kept.lastNs + 1n;
    const text = line.text.length > maxLineLength ? line.text.slice(0, maxLineLength) : line.text;
    kept.lines.push({ ...line, text, timestampNs: kept.lastNs });
    kept.bytes += costOf(text);
    this.#bytes += costOf(text);
    // Dropped in halves rather than one by one, so a busy app costs one copy per half-buffer of lines.
    if (kept.lines.length > this.#perApp) this.#dropOldest(kept, kept.lines.length - Math.floor(this.#perApp / 2));
    while (this.#lines.size > this.#apps || (this.#bytes > this.#maxBytes && this.#lines.size > 1)) {
      this.forget(this.#lines.keys().next().value!);
    }
    if (this.#bytes > this.#maxBytes) this.#dropOldest(kept, Math.ceil(kept.lines.length / 2));
  }

  #dropOldest(kept: { lines: KeptLogLine[]; bytes: number }, count: number): void {
    for (const dropped of kept.lines.splice(0, count)) {
      kept.bytes -= costOf(dropped.text);
      this.#bytes -= costOf(dropped.text);
    }
  }

  /** The app's lines written at or after `since`, oldest first. */
  read(appGuid: string, since?: Date): readonly KeptLogLine[] {
    const lines = this.#lines.get(appGuid)?.lines ?? [];
    return since === undefined ? [...lines] : lines.filter((line) => line.timestamp >= since);
  }

  /** The app's lines with `startNs` ≤ timestamp < `endNs`, oldest first. */
  readWindow(appGuid: string, startNs: bigint, endNs: bigint): readonly KeptLogLine[] {
    const lines = this.#lines.get(appGuid)?.lines ?? [];
    return lines.filter((line) => line.timestampNs >= startNs && line.timestampNs < endNs);
  }

  forget(appGuid: string): void {
    this.#bytes -= this.#lines.get(appGuid)?.bytes ?? 0;
    this.#lines.delete(appGuid);
  }
}
