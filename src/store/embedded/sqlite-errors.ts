import { StoreError, isStoreError, storeErrors } from '../errors.ts';
import { descriptorOf, type ObjectKey } from './resource.ts';

const primaryKeyViolation = 1555;
const uniqueViolation = 2067;
const constraint = 19;

/** What SQLite primary result codes (the low byte of an extended code) mean for a caller. */
const explanations: ReadonlyMap<number, string> = new Map([
  [5, 'the database is busy or in use by another process'], // SQLITE_BUSY
  [6, 'the database is busy or in use by another process'], // SQLITE_LOCKED
  [13, 'the disk is full'], // SQLITE_FULL
  [11, 'the database file is damaged'], // SQLITE_CORRUPT
  [26, 'the file is not a database'], // SQLITE_NOTADB
]);

/** What the failing statement was doing, for a more precise translation. */
export type SqliteErrorContext = { inserting?: ObjectKey };

type SqliteError = Error & { code: 'ERR_SQLITE_ERROR'; errcode: number; errstr: string };

export function isSqliteError(error: unknown): error is SqliteError {
  return error instanceof Error && (error as Partial<SqliteError>).code === 'ERR_SQLITE_ERROR';
}

/**
 * The one place SQLite failures become StoreErrors. Store code checks existence and versions
 * before writing, so a key violation while inserting means the object exists after all, and any
 * other constraint failure means a concurrent change won: a Conflict.
 */
export function toStoreError(error: unknown, context: SqliteErrorContext = {}): unknown {
  if (isStoreError(error) || !isSqliteError(error)) return error;
  const message = `embedded store: ${error.message}`;
  const key = context.inserting;
  if (key && (error.errcode === primaryKeyViolation || error.errcode === uniqueViolation)) {
    return storeErrors.alreadyExists(descriptorOf(key.kind).plural, key.name);
  }
  const primary = error.errcode & 0xff;
  if (primary === constraint) return new StoreError('Conflict', message, { cause: error });
  const explanation = explanations.get(primary);
  return new StoreError('Unavailable', explanation === undefined ? message : `${message} (${explanation})`, { cause: error });
}

/** Runs `work`, turning any SQLite error it throws into a StoreError. */
export function translatingSqliteErrors<T>(work: () => T, context: SqliteErrorContext = {}): T {
  try {
    return work();
  } catch (error) {
    throw toStoreError(error, context);
  }
}
