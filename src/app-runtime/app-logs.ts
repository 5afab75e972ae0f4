/** One line an app, its staging or one of its tasks wrote, as log-cache serves it. */
export type AppLogLine = {
  /** The app's GUID (log-cache's source ID). */
  appGuid: string;
  /** `STG` for staging, `APP/PROC/<TYPE>` for a process instance, `APP/TASK/<NAME>` for a task. */
  sourceType: string;
  /** The instance index, or the task's GUID. */
  instance: string;
  text: string;
  stream: 'stdout' | 'stderr';
  timestamp: Date;
};

/** Where a runtime sends the lines apps write. */
export type AppLogSink = { write(line: AppLogLine): void };

/**
 * The most recent lines of each app, in memory and bounded per app, for the log-cache API. Lines of
 * one app stay in the order they were written.
 */
export class RecentAppLogs implements AppLogSink {
  readonly #perApp: number;
  readonly #lines = new Map<string, AppLogLine[]>();

  constructor(options: { linesPerApp: number }) {
    this.#perApp = options.linesPerApp;
  }

  write(line: AppLogLine): void {
    let lines = this.#lines.get(line.appGuid);
    if (lines === undefined) this.#lines.set(line.appGuid, (lines = []));
    lines.push(line);
    // Dropped in halves rather than one by one, so a busy app costs one copy per half-buffer of lines.
    if (lines.length > this.#perApp) lines.splice(0, lines.length - Math.floor(this.#perApp / 2));
  }

  /** The app's lines written at or after `since`, oldest first. */
  read(appGuid: string, since?: Date): readonly AppLogLine[] {
    const lines = this.#lines.get(appGuid) ?? [];
    return since === undefined ? [...lines] : lines.filter((line) => line.timestamp >= since);
  }

  forget(appGuid: string): void {
    this.#lines.delete(appGuid);
  }
}
