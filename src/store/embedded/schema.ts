import type { DatabaseSync } from 'node:sqlite';
import { StoreError } from '../errors.ts';

/**
 * One row per object, its body as JSON. `labels` copies each label so that selectors narrow by
 * index before any JSON is read (its index on kind, key, value also carries the namespace);
 * `owner_references` finds an owner's dependents for cascading deletion. `store_state` holds the
 * global resourceVersion counter, so versions keep rising across restarts.
 */
const schemaVersion = 1;

const schema = `
CREATE TABLE objects (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX objects_by_key ON objects (kind, namespace, name);
CREATE INDEX objects_by_name ON objects (kind, name);
CREATE INDEX objects_by_namespace ON objects (namespace);

CREATE TABLE labels (
  object_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (object_id, key)
) WITHOUT ROWID;
CREATE INDEX labels_by_value ON labels (kind, key, value, namespace);

CREATE TABLE owner_references (
  owner_uid TEXT NOT NULL,
  object_id INTEGER NOT NULL,
  PRIMARY KEY (owner_uid, object_id)
) WITHOUT ROWID;
CREATE INDEX owner_references_by_object ON owner_references (object_id);

CREATE TABLE store_state (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO store_state (key, value) VALUES ('resourceVersion', 0);
`;

/** Creates the tables in a new file; refuses a file written by a newer schema. */
export function applySchema(db: DatabaseSync): void {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (row.user_version === schemaVersion) return;
  if (row.user_version !== 0) {
    throw new StoreError(
      'Unavailable',
      `the store file has schema version ${row.user_version}; this server knows version ${schemaVersion}`,
    );
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(schema);
    db.exec(`PRAGMA user_version = ${schemaVersion}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
