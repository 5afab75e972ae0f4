import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteDatabase, type Durability, type SqliteDatabase } from '../../../src/store/embedded/sqlite-database.ts';

/** The SQLite settings that decide what a commit survives, read back from an open connection. */
function durabilitySettings(db: SqliteDatabase): Record<string, unknown> {
  const read = (pragma: string) => db.query(`PRAGMA ${pragma}`)[0]?.[pragma];
  return {
    journal_mode: read('journal_mode'),
    locking_mode: read('locking_mode'),
    synchronous: read('synchronous'),
    fullfsync: read('fullfsync'),
    checkpoint_fullfsync: read('checkpoint_fullfsync'),
  };
}

// PRAGMA synchronous reads back as a number: 1 = NORMAL, 2 = FULL.
const expected: Record<Durability, Record<string, unknown>> = {
  // The log is written (not fsynced) at commit: a killed process loses nothing, a power cut may.
  'process-crash': { journal_mode: 'wal', locking_mode: 'exclusive', synchronous: 1, fullfsync: 0, checkpoint_fullfsync: 0 },
  // Every commit is fsynced, with F_FULLFSYNC where the OS has it (macOS), checkpoints too.
  'power-loss': { journal_mode: 'wal', locking_mode: 'exclusive', synchronous: 2, fullfsync: 1, checkpoint_fullfsync: 1 },
};

describe('embedded store: durability settings', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'embedded-durability-'));
  });
  afterEach(async () => rm(directory, { recursive: true, force: true }));

  for (const durability of ['process-crash', 'power-loss'] as const) {
    it(`sets what ${durability} promises on the connection it opens`, () => {
      const db = openSqliteDatabase(join(directory, 'store.db'), durability);
      try {
        expect(durabilitySettings(db)).to.deep.equal(expected[durability]);
      } finally {
        db.close();
      }
    });
  }

  it('takes the settings from the mode it is opened with, not from the file', () => {
    const file = join(directory, 'store.db');
    for (const durability of ['power-loss', 'process-crash', 'power-loss'] as const) {
      const db = openSqliteDatabase(file, durability);
      try {
        expect(durabilitySettings(db), `reopened as ${durability}`).to.deep.equal(expected[durability]);
      } finally {
        db.close();
      }
    }
  });
});
