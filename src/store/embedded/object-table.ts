import { LRUCache } from 'lru-cache';
import type { KindName } from '../kinds.ts';
import type { ListQuery } from './list-plan.ts';
import { jsonEqual } from '../json-equal.ts';
import type { ObjectKey, Resource } from './resource.ts';
import type { SqliteDatabase } from './sqlite-database.ts';
import { translatingSqliteErrors } from './sqlite-errors.ts';
import { copyOf, DecodedObjects } from './decoded-objects.ts';

/** How a read hands out objects: `shared` ones are frozen and the same for every reader; otherwise each is the caller's copy. */
export type ReadMode = { shared: boolean };

/** A stored object with its row id (which its label and owner rows point at) and its stored JSON. */
export type Row = { id: number; resource: Resource; json: string };

/**
 * Reads and writes object rows, keeping the label and owner-reference rows in step. `find`, `list` and
 * `allOf` read through the decoded objects (see DecodedObjects); `read`, which writes use, decodes the
 * row's JSON itself.
 */
export class ObjectTable {
  readonly #db: SqliteDatabase;
  readonly #decoded = new DecodedObjects();
  /** Inside a write transaction: decoded objects are used but no new ones are kept (it may roll back). */
  #writing = false;
  /** Writes so far per kind (counted before they commit, rolled back or not). */
  readonly #writesOfKind = new Map<string, number>();
  /**
   * The row ids each list query found, kept while no object of its kind is written (a write of any
   * object of the kind, committed or rolled back, makes every list of the kind read again).
   */
  readonly #listed = new LRUCache<string, { ids: readonly number[]; writes: number }>({ max: 2_000 });

  constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  /** Runs `work` (a write transaction) with no decoded objects kept from what it reads. */
  writing<T>(work: () => T): T {
    this.#writing = true;
    try {
      return work();
    } finally {
      this.#writing = false;
    }
  }

  /** The stored object, for reads. */
  find(key: ObjectKey, mode: ReadMode): Resource | undefined {
    const row = this.#db
      .statement('SELECT id FROM objects WHERE kind = ? AND namespace = ? AND name = ?')
      .get(key.kind, key.namespace, key.name) as { id: number } | undefined;
    return row === undefined ? undefined : this.#decodedRows([row.id], mode)[0];
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
    this.#wrote(key.kind);
    this.#decoded.forget(id);
    this.#insertLabels(id, key, resource.metadata.labels);
    this.#insertOwners(id, resource);
  }

  replace(key: ObjectKey, row: Row, next: Resource, json: string): void {
    this.#wrote(key.kind);
    this.#decoded.forget(row.id);
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
    this.#wrote(row.resource.kind);
    this.#decoded.forget(row.id);
    this.#db.statement('DELETE FROM objects WHERE id = ?').run(row.id);
    this.#db.statement('DELETE FROM labels WHERE object_id = ?').run(row.id);
    this.#db.statement('DELETE FROM owner_references WHERE object_id = ?').run(row.id);
  }

  /** The objects the query (selecting `id`) finds, in its order. */
  list(query: ListQuery, mode: ReadMode): Resource[] {
    const key = `${query.sql}\u0000${JSON.stringify(query.params)}`;
    const writes = this.#writesOfKind.get(query.kind) ?? 0;
    const listed = this.#listed.get(key);
    if (listed !== undefined && listed.writes === writes) return this.#decodedRows(listed.ids, mode);
    // Rows as arrays: a list of thousands of ids makes no object per row (a third of its cost).
    const statement = this.#db.statement(query.sql);
    statement.setReturnArrays(true);
    const ids = (statement.all(...query.params) as unknown as [number][]).map((row) => row[0]);
    if (!this.#writing) this.#listed.set(key, { ids, writes });
    return this.#decodedRows(ids, mode);
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

  /** Every object of the kind, shared (frozen): for the RBAC policy, which only reads them. */
  allOf(kind: KindName): Resource[] {
    const rows = this.#db.statement('SELECT id FROM objects WHERE kind = ?').all(kind) as { id: number }[];
    return this.#decodedRows(
      rows.map((row) => row.id),
      { shared: true },
    );
  }

  #wrote(kind: KindName): void {
    this.#writesOfKind.set(kind, (this.#writesOfKind.get(kind) ?? 0) + 1);
  }

  /** The objects of these rows, decoding (and, outside writes, keeping) those not decoded yet. */
  #decodedRows(ids: readonly number[], { shared }: ReadMode): Resource[] {
    const found = ids.map((id) => this.#decoded.get(id));
    const missing = ids.filter((_, index) => found[index] === undefined);
    const bodies = new Map<number, string>();
    if (missing.length > 0) {
      const select =
        missing.length === 1
          ? this.#db.statement('SELECT id, body FROM objects WHERE id = ?').all(missing[0]!)
          : this.#db.statement('SELECT id, body FROM objects WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(missing));
      for (const row of select as { id: number; body: string }[]) bodies.set(row.id, row.body);
    }
    return ids.map((id, index) => {
      const resource = found[index] ?? this.#decoded.decode(id, bodies.get(id)!, !this.#writing);
      return shared ? resource : copyOf(resource);
    });
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
