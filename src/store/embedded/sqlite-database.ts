import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { LRUCache } from 'lru-cache';
import { StoreError } from '../errors.ts';
import { applySchema } from './schema.ts';
import { translatingSqliteErrors } from './sqlite-errors.ts';

/**
 * What an acknowledged write survives. Both use a write-ahead log, so the file never corrupts
 * (a crash at worst loses whole recent transactions); they differ in when the log reaches the disk:
 * - `process-crash` (synchronous=NORMAL): a commit has been written to the log (the OS page cache)
 *   before it is acknowledged, so it survives the process being killed. The log is fsynced only at
 *   checkpoints, so a power loss or kernel crash may lose writes the OS had not yet flushed
 *   (Linux writes dirty pages back within about 30 seconds).
 * - `power-loss` (synchronous=FULL): every commit is fsynced before it is acknowledged; each write
 *   then waits for the disk. It also sets fullfsync and checkpoint_fullfsync: on macOS a plain fsync
 *   only reaches the drive's cache, F_FULLFSYNC reaches the medium (elsewhere they change nothing).
 */
export type Durability = 'process-crash' | 'power-loss';

/** A SQLite connection with cached prepared statements and transactions. */
export class SqliteDatabase {
  readonly #db: DatabaseSync;
  /** Prepared statements; list queries vary by selector shape, so the least recently used go first. */
  readonly #statements = new LRUCache<string, StatementSync>({ max: 1000 });

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The prepared statement for `sql`, prepared once while it stays in use. */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    let result: T;
    try {
      result = work();
    } catch (error) {
      this.#rollback();
      throw error;
    }
    try {
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#rollback();
      throw error;
    }
    return result;
  }

  #rollback(): void {
    if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
  }

  /** Runs a statement that returns rows, for checks such as `PRAGMA integrity_check`. */
  query(sql: string): Record<string, unknown>[] {
    return this.#db.prepare(sql).all();
  }

  close(): void {
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

export function openSqliteDatabase(file: string, durability: Durability): SqliteDatabase {
  return translatingSqliteErrors(() => {
    const db = new DatabaseSync(file, { enableForeignKeyConstraints: false });
    try {
      configure(db, durability);
      applySchema(db);
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteDatabase(db);
  });
}

function configure(db: DatabaseSync, durability: Durability): void {
  // One process owns the file: exclusive locking keeps a second server off it (it gets BUSY at
  // open) and keeps the WAL index in process memory. It must be set before WAL is entered.
  db.exec('PRAGMA locking_mode = EXCLUSIVE');
  const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
  if (mode !== 'wal') throw new StoreError('Unavailable', `SQLite refused write-ahead logging for this file (journal mode "${mode}")`);
  const powerLoss = durability === 'power-loss';
  db.exec(`PRAGMA synchronous = ${powerLoss ? 'FULL' : 'NORMAL'}`);
  db.exec(`PRAGMA fullfsync = ${powerLoss ? 'ON' : 'OFF'}`);
  db.exec(`PRAGMA checkpoint_fullfsync = ${powerLoss ? 'ON' : 'OFF'}`);
  // Checkpoints (copying the log into the file, with an fsync) cost far more than appending to the
  // log: doing one every ~40 MB of log instead of SQLite's ~4 MB default nearly doubles write
  // throughput. The log is truncated back to 64 MB after a checkpoint.
  db.exec('PRAGMA wal_autocheckpoint = 10000');
  db.exec('PRAGMA journal_size_limit = 67108864');
}
