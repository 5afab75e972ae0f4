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

/** What a list query found: its rows, and their objects as handed to readers of shared objects. */
type Listed = { ids: readonly number[]; membership: number; shared?: { items: readonly Resource[]; writes: number } };

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
  /**
   * Per kind, the writes so far that may change what a list finds (inserts, removals, label changes)
   * and all writes; both counted before they commit, rolled back or not.
   */
  readonly #membershipWrites = new Map<string, number>();
  readonly #writesOfKind = new Map<string, number>();
  /**
   * Per list query, the row ids it found, kept while no object of its kind is added, removed or
   * relabelled (a query selects by kind, namespace, name and labels only, so a write that keeps an
   * object's labels, such as a status write, cannot change what any list finds); and the shared list
   * of those objects handed to `readOnly` readers, kept while no object of its kind is written at all.
   */
  readonly #listed = new LRUCache<string, Listed>({ max: 2_000 });

  /**
   * The row id of each object read by key, so that a read of a decoded object makes no query: kept
   * until the key's row is inserted or removed (an update keeps its row), never from inside a write
   * transaction (it may roll back), and used only when the object decoded for that row is at the key.
   */
  readonly #idByKey = new Map<string, number>();

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
    const text = keyText(key);
    const id = this.#idByKey.get(text);
    const kept = id === undefined ? undefined : this.#decoded.get(id);
    const resource = kept !== undefined && isAt(kept, key) ? kept : this.#findRow(key, text);
    return resource === undefined || mode.shared ? resource : copyOf(resource);
  }

  /** Reads the key's row (one query for its id and body), decoding it unless it is decoded already. */
  #findRow(key: ObjectKey, text: string): Resource | undefined {
    const row = this.#db
      .statement('SELECT id, body FROM objects WHERE kind = ? AND namespace = ? AND name = ?')
      .get(key.kind, key.namespace, key.name) as { id: number; body: string } | undefined;
    if (row === undefined) return undefined;
    if (!this.#writing) this.#idByKey.set(text, row.id);
    return this.#decoded.get(row.id) ?? this.#decoded.decode(row.id, row.body, !this.#writing);
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
    this.#wrote(key.kind, { membership: true });
    this.#idByKey.delete(keyText(key));
    this.#decoded.forget(id);
    this.#insertLabels(id, key, resource.metadata.labels);
    this.#insertOwners(id, resource);
  }

  replace(key: ObjectKey, row: Row, next: Resource, json: string): void {
    const relabelled = !jsonEqual(row.resource.metadata.labels ?? {}, next.metadata.labels ?? {});
    this.#wrote(key.kind, { membership: relabelled });
    this.#decoded.forget(row.id);
    this.#db.statement('UPDATE objects SET body = ? WHERE id = ?').run(json, row.id);
    if (relabelled) {
      this.#db.statement('DELETE FROM labels WHERE object_id = ?').run(row.id);
      this.#insertLabels(row.id, key, next.metadata.labels);
    }
    if (!jsonEqual(ownerUids(row.resource), ownerUids(next))) {
      this.#db.statement('DELETE FROM owner_references WHERE object_id = ?').run(row.id);
      this.#insertOwners(row.id, next);
    }
  }

  remove(key: ObjectKey, row: Row): void {
    this.#wrote(key.kind, { membership: true });
    this.#idByKey.delete(keyText(key));
    this.#decoded.forget(row.id);
    this.#db.statement('DELETE FROM objects WHERE id = ?').run(row.id);
    this.#db.statement('DELETE FROM labels WHERE object_id = ?').run(row.id);
    this.#db.statement('DELETE FROM owner_references WHERE object_id = ?').run(row.id);
  }

  /**
   * The objects the query (selecting `id`) finds, in its order. In `shared` mode the list itself is
   * shared too, and frozen: the same array for every reader until an object of the kind is written.
   */
  list(query: ListQuery, mode: ReadMode): Resource[] {
    const { key } = query;
    const membership = this.#membershipWrites.get(query.kind) ?? 0;
    let listed = this.#listed.get(key);
    if (listed === undefined || listed.membership !== membership) {
      // Rows as arrays: a list of thousands of ids makes no object per row (a third of its cost).
      const statement = this.#db.statement(query.sql);
      statement.setReturnArrays(true);
      listed = { ids: (statement.all(...query.params) as unknown as [number][]).map((row) => row[0]), membership };
      if (!this.#writing) this.#listed.set(key, listed);
    }
    if (!mode.shared) return this.#decodedRows(listed.ids, mode);
    const writes = this.#writesOfKind.get(query.kind) ?? 0;
    if (listed.shared !== undefined && listed.shared.writes === writes) return listed.shared.items as Resource[];
    const items = Object.freeze(this.#decodedRows(listed.ids, mode));
    if (!this.#writing) listed.shared = { items, writes };
    return items as Resource[];
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

  #wrote(kind: KindName, { membership }: { membership: boolean }): void {
    this.#writesOfKind.set(kind, (this.#writesOfKind.get(kind) ?? 0) + 1);
    if (membership) this.#membershipWrites.set(kind, (this.#membershipWrites.get(kind) ?? 0) + 1);
  }

  /** The objects of these rows, decoding (and, outside writes, keeping) those not decoded yet. */
  #decodedRows(ids: readonly number[], { shared }: ReadMode): Resource[] {
    const resources = new Array<Resource>(ids.length);
    let missing: number[] | undefined;
    for (let index = 0; index < ids.length; index++) {
      const resource = this.#decoded.get(ids[index]!);
      if (resource === undefined) (missing ??= []).push(index);
      else resources[index] = shared ? resource : copyOf(resource);
    }
    if (missing === undefined) return resources;
    const missingIds = missing.map((index) => ids[index]!);
    const select =
      missingIds.length === 1
        ? this.#db.statement('SELECT id, body FROM objects WHERE id = ?').all(missingIds[0]!)
        : this.#db.statement('SELECT id, body FROM objects WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(missingIds));
    const bodies = new Map<number, string>();
    for (const row of select as { id: number; body: string }[]) bodies.set(row.id, row.body);
    for (const index of missing) {
      const id = ids[index]!;
      const resource = this.#decoded.decode(id, bodies.get(id)!, !this.#writing);
      resources[index] = shared ? resource : copyOf(resource);
    }
    return resources;
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

const keyText = (key: ObjectKey): string => `${key.kind}\u0000${key.namespace}\u0000${key.name}`;

/** Whether a decoded object is the one stored under this key (a kept row id is only trusted when it is). */
const isAt = (resource: Resource, key: ObjectKey): boolean =>
  resource.metadata.name === key.name && resource.kind === key.kind && (resource.metadata.namespace ?? '') === key.namespace;

function ownerUids(resource: Resource): string[] {
  return [...new Set((resource.metadata.ownerReferences ?? []).map((reference) => reference.uid))].sort();
}
