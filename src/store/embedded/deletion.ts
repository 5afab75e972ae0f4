import { StoreError } from '../errors.ts';
import type { OwnerReference } from '../objects.ts';
import { namespaceFinalizer } from './namespace-rules.ts';
import { ownerState } from './owner-resolution.ts';
import type { Row } from './object-table.ts';
import type { ObjectKey, Resource } from './resource.ts';
import { recordWrite } from './server-metadata.ts';
import type { WriteContext } from './write-context.ts';
import { writeRow } from './row-writes.ts';

type NamespaceFields = { spec?: { finalizers?: string[] }; status?: { phase?: string } };

/**
 * Deletes as the apiserver and its controllers would, within the caller's transaction: an object
 * with finalizers only gets a deletionTimestamp; otherwise it goes now, and with it its dependents
 * (background propagation, as the garbage collector does) and, once empty, a terminating namespace.
 */
export function deleteRow(context: WriteContext, key: ObjectKey, row: Row): void {
  if (key.kind === 'Namespace') terminateNamespace(context, key, row);
  else if ((row.resource.metadata.finalizers ?? []).length > 0) markDeleting(context, key, row);
  else removeObject(context, key, row);
}

/** Whether an update leaves an object that is being deleted with nothing holding it. */
export function shouldRemoveOnUpdate(next: Resource): boolean {
  if (next.metadata.deletionTimestamp === undefined || (next.metadata.finalizers ?? []).length > 0) return false;
  return next.kind !== 'Namespace' || ((next as NamespaceFields).spec?.finalizers ?? []).length === 0;
}

/**
 * Removes the row; the DELETED change carries its last state at the deletion's resourceVersion,
 * which is also what is returned.
 */
export function removeObject(context: WriteContext, key: ObjectKey, row: Row): Resource {
  const resourceVersion = context.batch.nextVersion();
  const last = structuredClone(row.resource);
  last.metadata.resourceVersion = String(resourceVersion);
  context.table.remove(key, row);
  context.batch.record('DELETED', last, row, JSON.stringify(last));
  collectDependents(context, row.resource);
  if (key.namespace !== '') finalizeNamespaceIfEmpty(context, key.namespace);
  return last;
}

function markDeleting(context: WriteContext, key: ObjectKey, row: Row): void {
  if (row.resource.metadata.deletionTimestamp !== undefined) return;
  const next = structuredClone(row.resource);
  next.metadata.deletionTimestamp = context.batch.now;
  (next.metadata as { deletionGracePeriodSeconds?: number }).deletionGracePeriodSeconds = 0;
  // Deletion changes what controllers must do, so objects with a generation get a new one.
  if ((next.metadata.generation ?? 0) > 0) next.metadata.generation = next.metadata.generation! + 1;
  writeRow(context, key, row, next);
}

function terminateNamespace(context: WriteContext, key: ObjectKey, row: Row): void {
  if (row.resource.metadata.deletionTimestamp !== undefined) {
    throw new StoreError(
      'Conflict',
      `Operation cannot be fulfilled on namespaces "${key.name}": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.`,
    );
  }
  const next = structuredClone(row.resource) as Resource & NamespaceFields;
  next.metadata.deletionTimestamp = context.batch.now;
  next.status = { ...next.status, phase: 'Terminating' };
  writeRow(context, key, row, next);
  // What the namespace controller does: delete everything in it (as privileged), then finalize it.
  for (const contentKey of context.table.namespaceContents(key.name)) {
    const content = context.table.read(contentKey);
    if (content !== undefined) deleteRow(context, contentKey, content);
  }
  finalizeNamespaceIfEmpty(context, key.name);
}

/** Once a terminating namespace is empty its `kubernetes` finalizer goes, and then (if nothing else holds it) the namespace. */
function finalizeNamespaceIfEmpty(context: WriteContext, namespace: string): void {
  const key: ObjectKey = { kind: 'Namespace', namespace: '', name: namespace };
  const row = context.table.read(key);
  if (row === undefined || row.resource.metadata.deletionTimestamp === undefined || context.table.hasNamespaceContents(namespace)) return;
  const spec = (row.resource as NamespaceFields).spec;
  const finalizers = spec?.finalizers ?? [];
  const remaining = finalizers.filter((finalizer) => finalizer !== namespaceFinalizer);
  if (remaining.length === 0 && (row.resource.metadata.finalizers ?? []).length === 0) {
    removeObject(context, key, row);
  } else if (remaining.length !== finalizers.length) {
    const next = structuredClone(row.resource) as Resource & NamespaceFields;
    next.spec = { ...spec, finalizers: remaining };
    writeRow(context, key, row, next);
  }
}

/** The garbage collector's part when an owner goes: each of its dependents is checked again. */
function collectDependents(context: WriteContext, owner: Resource): void {
  const uid = owner.metadata.uid;
  if (uid === undefined) return;
  for (const key of context.table.dependents(uid)) collectIfOrphaned(context, key);
}

/**
 * The garbage collector's check of one object with owners: with none of them left it is deleted
 * (honouring its finalizers); with some left it only loses its references to the absent ones. A
 * reference the collector cannot resolve leaves the object as it is.
 */
export function collectIfOrphaned(context: WriteContext, key: ObjectKey): void {
  const row = context.table.read(key);
  const references = row?.resource.metadata.ownerReferences ?? [];
  if (row === undefined || references.length === 0) return;
  const states = references.map((reference) => ownerState(context.table, key, reference));
  if (states.includes('unresolvable')) return;
  const surviving = references.filter((_, index) => states[index] === 'present');
  if (surviving.length === references.length) return;
  if (surviving.length > 0) dropOwnerReferences(context, key, row, surviving);
  // An object already being deleted is left to its finalizers (deleting it again changes nothing).
  else if (row.resource.metadata.deletionTimestamp === undefined) deleteRow(context, key, row);
}

function dropOwnerReferences(context: WriteContext, key: ObjectKey, row: Row, surviving: OwnerReference[]): void {
  const next = structuredClone(row.resource);
  next.metadata.ownerReferences = surviving;
  next.metadata.managedFields = recordWrite(next.metadata.managedFields, {
    apiVersion: next.apiVersion,
    subresource: '',
    time: context.batch.now,
  });
  writeRow(context, key, row, next);
}
