import type { KindName } from '../kinds.ts';
import type { ListQuery } from './list-plan.ts';
import { jsonEqual } from '../json-equal.ts';
import type { ObjectKey, Resource } from './resource.ts';
import type { SqliteDatabase } from './sqlite-database.ts';
import { translatingSqliteErrors } from './sqlite-errors.ts';

/** A stored object with its row id (which its label and owner rows point at) and its stored JSON. */
export type Row = { id: number; resource: Resource; json: string };

/** Reads and writes object rows, keeping the label and owner-reference rows in step. */
export class ObjectTable {
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  read(key: ObjectKey): Row | undefined {
    const row = this.#db
      .statement('SELECT id, body FROM objects WHERE kind = ? AND namespace = ? AND name = ?')
      .get(key.kind, key.namespace, key.name) as { id: number; body: string } | undefined;
    return row === undefined ? undefined : { id: row.id, resource: JSON.parse(row.body) as Resource, json: row.body };
  }

  insert(key: ObjectKey, resource: Resource, json: string): void {
    const { lastInsertRowid } = translatingSqliteErrors(
      () =>
        this.#db
          .statement('INSERT INTO objects (kind, namespace, name, body) VALUES (?, ?, ?, ?)')
          .run(key.kind, key.namespace, key.name, json),
      { inserting: key },
    );
    const id = Number(lastInsertRowid);
    this.#insertLabels(id, key, resource.metadata.labels);
    this.#insertOwners(id, resource);
  }

  replace(key: ObjectKey, row: Row, next: Resource, json: string): void {
    this.#db.statement('UPDATE objects SET body = ? WHERE id = ?').run(json, row.id);
    if (!jsonEqual(row.resource.metadata.labels ?? {}, next.metadata.labels ?? {})) {
      this.#db.statement('DELETE FROM labels WHERE object_id = ?').run(row.id);
      this.#insertLabels(row.id, key, next.metadata.labels);
    }
    if (!jsonEqual(ownerUids(row.resource), ownerUids(next))) {
      this.#db.statement('DELETE FROM owner_references WHERE object_id = ?').run(row.id);
      this.#insertOwners(row.id, next);
    }
  }

  remove(row: Row): void {
    this.#db.statement('DELETE FROM objects WHERE id = ?').run(row.id);
    this.#db.statement('DELETE FROM labels WHERE object_id = ?').run(row.id);
    this.#db.statement('DELETE FROM owner_references WHERE object_id = ?').run(row.id);
  }

  list(query: ListQuery): Resource[] {
    const rows = this.#db.statement(query.sql).all(...query.params) as { body: string }[];
    return rows.map((row) => JSON.parse(row.body) as Resource);
  }

  /** Every object in a namespace, of any kind. */
  namespaceContents(namespace: string): ObjectKey[] {
    return this.#db
      .statement('SELECT kind, namespace, name FROM objects WHERE namespace = ? ORDER BY kind, name')
      .all(namespace) as ObjectKey[];
  }

  hasNamespaceContents(namespace: string): boolean {
    return this.#db.statement('SELECT 1 FROM objects WHERE namespace = ? LIMIT 1').get(namespace) !== undefined;
  }

  /** The objects that name `uid` among their ownerReferences. */
  dependents(uid: string): ObjectKey[] {
    return this.#db
      .statement(
        'SELECT o.kind AS kind, o.namespace AS namespace, o.name AS name FROM owner_references r JOIN objects o ON o.id = r.object_id WHERE r.owner_uid = ? ORDER BY o.kind, o.namespace, o.name',
      )
      .all(uid) as ObjectKey[];
  }

  allOf(kind: KindName): Resource[] {
    const rows = this.#db.statement('SELECT body FROM objects WHERE kind = ?').all(kind) as { body: string }[];
    return rows.map((row) => JSON.parse(row.body) as Resource);
  }

  #insertLabels(id: number, key: ObjectKey, labels: Record<string, string> | undefined): void {
    const insert = this.#db.statement('INSERT INTO labels (object_id, kind, namespace, key, value) VALUES (?, ?, ?, ?, ?)');
    for (const [label, value] of Object.entries(labels ?? {})) insert.run(id, key.kind, key.namespace, label, value);
  }

  #insertOwners(id: number, resource: Resource): void {
    const insert = this.#db.statement('INSERT INTO owner_references (owner_uid, object_id) VALUES (?, ?)');
    for (const uid of ownerUids(resource)) insert.run(uid, id);
  }
}

function ownerUids(resource: Resource): string[] {
  return [...new Set((resource.metadata.ownerReferences ?? []).map((reference) => reference.uid))].sort();
}
