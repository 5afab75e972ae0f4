import type { SqliteDatabase } from './sqlite-database.ts';

/** The global resourceVersion counter, kept in the file so that versions keep rising across restarts. */
export function readVersion(db: SqliteDatabase): number {
  const row = db.statement("SELECT value FROM store_state WHERE key = 'resourceVersion'").get() as { value: number };
  return row.value;
}

export function writeVersion(db: SqliteDatabase, version: number): void {
  db.statement("UPDATE store_state SET value = ? WHERE key = 'resourceVersion'").run(version);
}
