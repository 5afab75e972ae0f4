import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endGroup } from './process-group.ts';
import { readProcEntrySync, readProcTable } from './proc-stats.ts';

/** What is kept of a running group, so that a later server can end it if this one dies first. */
type GroupRecord = { pgid: number; startTime: number; what: string };

/**
 * One small file per live process group under `dir` (`<pgid>.json`: the group's ID and its leader's
 * start time), written when the group starts and removed when it ends. A server that crashed leaves
 * its files behind; the next one ends those groups (`endRecorded`), and only those: a group whose
 * leader's PID now belongs to a process started at another time is somebody else's and is left alone.
 */
export class GroupRecords {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Records a group just started (synchronously, so no crash can fall between the spawn and the record). */
  record(pgid: number, what: string): void {
    const leader = readProcEntrySync(pgid);
    // Without /proc there is no fingerprint to check later; a leader already gone leaves nothing to record.
    if (leader === undefined) return;
    mkdirSync(this.#dir, { recursive: true });
    const record: GroupRecord = { pgid, startTime: leader.startTime, what };
    writeFileSync(join(this.#dir, `${pgid}.json`), JSON.stringify(record));
  }

  forget(pgid: number): void {
    rmSync(join(this.#dir, `${pgid}.json`), { force: true });
  }

  /** Ends every recorded group still alive (SIGTERM, SIGKILL after `graceMs`) and forgets them all. */
  async endRecorded(graceMs: number): Promise<number> {
    let names: string[];
    try {
      names = readdirSync(this.#dir).filter((name) => name.endsWith('.json'));
    } catch {
      return 0;
    }
    const records = names.map((name) => this.#read(join(this.#dir, name))).filter((record) => record !== undefined);
    const table = (await readProcTable()) ?? [];
    const ours = records.filter((record) => {
      const leader = table.find((entry) => entry.pid === record.pgid);
      // The leader alive with another start time: its PID was reused, the group is not ours.
      if (leader !== undefined && leader.startTime !== record.startTime) return false;
      // Leader gone: Linux does not hand out a PID still used as a group ID, so members are the group's own.
      return table.some((entry) => entry.pgid === record.pgid && entry.startTime >= record.startTime);
    });
    await Promise.all(ours.map((record) => endGroup(record.pgid, graceMs)));
    for (const name of names) rmSync(join(this.#dir, name), { force: true });
    return ours.length;
  }

  #read(path: string): GroupRecord | undefined {
    try {
      const record = JSON.parse(readFileSync(path, 'utf8')) as Partial<GroupRecord>;
      if (typeof record.pgid !== 'number' || typeof record.startTime !== 'number' || record.pgid <= 1) return undefined;
      return { pgid: record.pgid, startTime: record.startTime, what: String(record.what) };
    } catch {
      return undefined;
    }
  }
}
