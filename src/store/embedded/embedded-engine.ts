import { LRUCache } from 'lru-cache';
import { applyMergePatch } from '../merge-patch.ts';
import { StoreError, storeErrors } from '../errors.ts';
import type { KindName } from '../kinds.ts';
import type { NewObject, ObjectMeta } from '../objects.ts';
import type { MergePatch, Watch, WatchEvent, WatchOptions, WritePreconditions } from '../port.ts';
import { collectIfOrphaned, deleteRow } from './deletion.ts';
import { planList, type ListFilter, type ListQuery } from './list-plan.ts';
import { createObject } from './creation.ts';
import type { CrdSchemas } from './crd-schemas.ts';
import { prepareStatusUpdate, prepareUpdate } from './object-preparation.ts';
import { ObjectTable } from './object-table.ts';
import { RbacPolicy, rbacObjectsIn } from './rbac-policy.ts';
import { descriptorOf, notFound, qualifiedKind, type ObjectKey, type Resource } from './resource.ts';
import { rfc3339Seconds } from './server-metadata.ts';
import type { SqliteDatabase } from './sqlite-database.ts';
import {
  checkResourceVersion,
  checkUid,
  patchedObject,
  requireResourceVersion,
  storeUpdate,
  type Existing,
  type Subresource,
} from './updates.ts';
import { readVersion, writeVersion } from './version-counter.ts';
import { WatchHub } from './watch-hub.ts';
import { WriteBatch } from './write-batch.ts';
import { admissionFor, type WriteAdmission, type WriteContext } from './write-context.ts';

/** How a write is made: to the object or its status, on which preconditions, after which admission check. */
export type EngineWrite = { subresource?: Subresource; preconditions?: WritePreconditions; admit?: WriteAdmission | undefined };

const rbacKinds: ReadonlySet<string> = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/**
 * The store itself, without authorization: reads, transactional writes that publish their changes
 * to watchers once committed (and then let the garbage collector check new ownerReferences), and
 * the RBAC policy compiled from the stored RBAC objects. Writes take an admission check, which
 * sessions use for the RBAC storage's escalation rules.
 */
export class EmbeddedEngine {
  readonly policy: RbacPolicy;
  readonly #db: SqliteDatabase;
  readonly #table: ObjectTable;
  readonly #hub: WatchHub;
  #version: number;
  #closed = false;

  readonly #schemas: CrdSchemas;
  /** Planned list queries without label selectors, by kind, namespace and name. */
  readonly #plans = new LRUCache<string, ListQuery>({ max: 5_000 });

  constructor(db: SqliteDatabase, schemas: CrdSchemas) {
    this.#db = db;
    this.#schemas = schemas;
    this.#table = new ObjectTable(db);
    this.#version = readVersion(db);
    this.#hub = new WatchHub(this.#version);
    this.policy = new RbacPolicy(() => rbacObjectsIn(this.#table));
  }

  /** With `readOnly`, the object is shared and frozen (see DecodedObjects); otherwise it is the caller's. */
  get(key: ObjectKey, readOnly = false): Resource {
    this.#checkOpen();
    const resource = this.#table.find(key, { shared: readOnly });
    if (resource === undefined) throw notFound(key);
    return resource;
  }

  /** With `readOnly`, the items are shared and frozen (see DecodedObjects); otherwise they are the caller's. */
  list(kind: KindName, options: ListFilter & { readOnly?: boolean | undefined }): { items: Resource[]; resourceVersion: string } {
    this.#checkOpen();
    const items = this.#table.list(this.#planned(kind, scoped(kind, options)), { shared: options.readOnly === true });
    return { items, resourceVersion: String(this.#version) };
  }

  /** The list's query; made once for lists without a label selector (by kind, namespace and name: most lists). */
  #planned(kind: KindName, filter: ListFilter): ListQuery {
    if ((filter.labelSelector ?? []).length > 0) return planList(kind, filter);
    const key = `${kind}\u0000${filter.namespace === undefined ? '*' : `=${filter.namespace}`}\u0000${filter.name === undefined ? '*' : `=${filter.name}`}`;
    let query = this.#plans.get(key);
    if (query === undefined) {
      query = planList(kind, filter);
      this.#plans.set(key, query);
    }
    return query;
  }

  watch(kind: KindName, options: WatchOptions, listener: (event: WatchEvent<KindName>) => void): Watch {
    this.#checkOpen();
    const filter = { kind, ...scoped(kind, options) };
    const from = options.resourceVersion;
    if (from === undefined || from === '0' || from === '') {
      return this.#hub.start(filter, { current: this.list(kind, filter).items, version: this.#version }, listener);
    }
    if (!/^\d+$/.test(from)) throw storeErrors.invalid(`resourceVersion: Invalid value: "${from}": must be a non-negative integer`);
    return this.#hub.start(filter, { after: Number(from) }, listener);
  }

  create(inputs: readonly NewObject[], write: EngineWrite = {}): Resource[] {
    return this.#write((context) => inputs.map((input) => createObject(context, input)), write.admit);
  }

  update(input: Resource, write: EngineWrite = {}): Resource {
    const subresource = write.subresource ?? '';
    const target = keyOfObject(input);
    checkSubresource(target, subresource);
    return this.#write((context) => {
      const existing = this.#existing(context, target);
      const { key, row } = existing;
      checkUid(key, row, input.metadata.uid);
      checkResourceVersion(key, row, requireResourceVersion(key, input.metadata));
      const descriptor = descriptorOf(key.kind);
      const schema = context.schemas.get(key.kind);
      const next =
        subresource === 'status'
          ? prepareStatusUpdate(descriptor, row.resource, input.status, schema)
          : prepareUpdate(descriptor, row.resource, input, { schema, admit: admissionFor(context, row.resource) });
      return storeUpdate(context, existing, next, subresource);
    }, write.admit);
  }

  patch(key: ObjectKey, patch: MergePatch, write: EngineWrite = {}): Resource {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw storeErrors.invalid('a merge patch must be a JSON object');
    }
    const subresource = write.subresource ?? '';
    checkSubresource(key, subresource);
    return this.#write((context) => {
      const existing = this.#existing(context, key);
      const { row } = existing;
      checkResourceVersion(key, row, write.preconditions?.resourceVersion);
      const descriptor = descriptorOf(key.kind);
      const schema = context.schemas.get(key.kind);
      if (subresource === 'status') {
        const status = applyStatusPatch(row.resource.status, patch);
        return storeUpdate(context, existing, prepareStatusUpdate(descriptor, row.resource, status, schema), 'status');
      }
      const patched = patchedObject(key, row, patch);
      patched.metadata = { ...patched.metadata, resourceVersion: row.resource.metadata.resourceVersion! };
      const next = prepareUpdate(descriptor, row.resource, patched, { schema, admit: admissionFor(context, row.resource) });
      return storeUpdate(context, existing, next, '');
    }, write.admit);
  }

  delete(key: ObjectKey, preconditions: WritePreconditions): void {
    this.#write((context) => {
      const { row } = this.#existing(context, key);
      checkResourceVersion(key, row, preconditions.resourceVersion);
      deleteRow(context, key, row);
    });
  }

  /** `PRAGMA integrity_check`, for tests and operators. */
  integrityCheck(): string[] {
    return this.#db.query('PRAGMA integrity_check').map((row) => String(row.integrity_check));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.stopAll(new StoreError('Unavailable', 'the embedded store was closed'));
    this.#db.close();
  }

  #existing(context: WriteContext, key: ObjectKey): Existing {
    const row = context.table.read(key);
    if (row === undefined) throw notFound(key);
    return { key, row };
  }

  /** One transaction; its changes go to watchers only once it has committed. */
  #write<T>(work: (context: WriteContext) => T, admit?: WriteAdmission): T {
    this.#checkOpen();
    const batch = new WriteBatch(this.#version, rfc3339Seconds(new Date()));
    const result = this.#table.writing(() =>
      this.#db.transaction(() => {
        const value = work({ table: this.#table, batch, schemas: this.#schemas, admit });
        if (batch.version !== this.#version) writeVersion(this.#db, batch.version);
        return value;
      }),
    );
    this.#version = batch.version;
    if (batch.changes.some((change) => rbacKinds.has(change.kind))) this.policy.invalidate();
    this.#hub.publish(batch.changes);
    if (batch.ownerChecks.length > 0) this.#collectOrphansLater(batch.ownerChecks);
    return result;
  }

  /**
   * Kubernetes' garbage collector deletes an object none of whose owners exists, in the background:
   * the write that made it succeeds, and the collection follows once its caller has the answer.
   */
  #collectOrphansLater(keys: readonly ObjectKey[]): void {
    setImmediate(() => {
      if (this.#closed) return;
      try {
        this.#write((context) => keys.forEach((key) => collectIfOrphaned(context, key)));
      } catch (error) {
        // Nobody waits for the collector; a failure must not take the server down, only be seen.
        process.emitWarning(`the embedded garbage collector failed: ${String(error)}`);
      }
    });
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreError('Unavailable', 'the embedded store is closed');
  }
}

/** A cluster-scoped kind has no namespaces to filter by (as a ref to it ignores its namespace). */
function scoped(kind: KindName, options: ListFilter): ListFilter {
  const { namespace, name, labelSelector } = options;
  return { namespace: descriptorOf(kind).namespaced ? namespace : undefined, name, labelSelector };
}

function keyOfObject(input: Resource): ObjectKey {
  const descriptor = descriptorOf(input.kind);
  const metadata = input.metadata as ObjectMeta | undefined;
  if (typeof metadata !== 'object' || metadata === null || !metadata.name) {
    throw storeErrors.invalid(`${qualifiedKind(descriptor)} "": metadata.name: Required value: name is required`);
  }
  if (!descriptor.namespaced) return { kind: input.kind, namespace: '', name: metadata.name };
  if (!metadata.namespace) throw storeErrors.invalid(`${qualifiedKind(descriptor)} "${metadata.name}": metadata.namespace: Required value`);
  return { kind: input.kind, namespace: metadata.namespace, name: metadata.name };
}

/** Kinds without a status subresource have no `/status` endpoint. */
function checkSubresource(key: ObjectKey, subresource: Subresource): void {
  if (subresource === 'status' && !descriptorOf(key.kind).statusSubresource) {
    throw new StoreError('NotFound', 'the server could not find the requested resource');
  }
}

function applyStatusPatch(status: unknown, patch: MergePatch): unknown {
  return (applyMergePatch({ status }, { status: patch }) as { status?: unknown }).status;
}
