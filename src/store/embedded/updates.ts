import { StoreError } from '../errors.ts';
import { applyMergePatch } from '../merge-patch.ts';
import { tracksGeneration } from '../kinds.ts';
import type { ObjectMeta } from '../objects.ts';
import { fieldError, invalidObject } from './field-errors.ts';
import { jsonEqual } from '../json-equal.ts';
import type { Row } from './object-table.ts';
import { conflict, descriptorOf, specOf, type ObjectKey, type Resource } from './resource.ts';
import { recordWrite } from './server-metadata.ts';
import type { WriteContext } from './write-context.ts';
import { removeObject, shouldRemoveOnUpdate } from './deletion.ts';
import { writeRow } from './row-writes.ts';

export type Subresource = '' | 'status';

/** A stored object about to be written, with its key. */
export type Existing = { key: ObjectKey; row: Row };

/**
 * Stores `next` over the stored row as the apiserver's update does: a write that changes nothing
 * returns the stored object untouched (no new resourceVersion); a spec change bumps `generation`;
 * emptying the finalizers of an object being deleted removes it.
 */
export function storeUpdate(context: WriteContext, { key, row }: Existing, next: Resource, subresource: Subresource): Resource {
  const current = row.resource;
  if (jsonEqual(withoutWriteRecord(next), withoutWriteRecord(current))) return current;
  const descriptor = descriptorOf(key.kind);
  if (tracksGeneration(descriptor) && !jsonEqual(specOf(next), specOf(current))) {
    next.metadata.generation = (current.metadata.generation ?? 0) + 1;
  }
  if (shouldRemoveOnUpdate(next)) return removeObject(context, key, row);
  next.metadata.managedFields = recordWrite(current.metadata.managedFields, {
    apiVersion: next.apiVersion,
    subresource,
    time: context.batch.now,
  });
  return writeRow(context, key, row, next);
}

/** An update's `metadata.uid` is a precondition the apiserver's storage checks first: another uid is a Conflict. */
export function checkUid(key: ObjectKey, row: Row, uid: string | undefined): void {
  const stored = row.resource.metadata.uid;
  if (uid === undefined || uid === '' || uid === stored) return;
  const { plural } = descriptorOf(key.kind);
  throw new StoreError(
    'Conflict',
    `Operation cannot be fulfilled on ${plural} "${key.name}": Precondition failed: UID in precondition: ${uid}, UID in object meta: ${stored ?? ''}`,
  );
}

/** A write's `metadata.resourceVersion` must match the stored one. */
export function checkResourceVersion(key: ObjectKey, row: Row, resourceVersion: string | undefined): void {
  if (resourceVersion !== undefined && resourceVersion !== row.resource.metadata.resourceVersion) throw conflict(key);
}

/** `update` needs the version it read; a missing one is Invalid, as the apiserver words it. */
export function requireResourceVersion(key: ObjectKey, metadata: ObjectMeta): string {
  const resourceVersion = metadata.resourceVersion;
  if (resourceVersion === undefined || resourceVersion === '') {
    const descriptor = descriptorOf(key.kind);
    throw invalidObject({ ...descriptor, kind: descriptor.plural }, key.name, [
      `metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
    ]);
  }
  return resourceVersion;
}

/**
 * The object after a merge patch of everything but its status. The patch may not move the object
 * or change its kind; a `metadata.resourceVersion` in it is a precondition.
 */
export function patchedObject(key: ObjectKey, row: Row, patch: Record<string, unknown>): Resource {
  const current = row.resource;
  const descriptor = descriptorOf(key.kind);
  const base: Record<string, unknown> = { ...current };
  if (descriptor.statusSubresource) delete base.status;
  const patched = applyMergePatch(base, patch) as Resource;
  const metadata = patched.metadata as ObjectMeta | undefined;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw invalidObject(descriptor, key.name, [fieldError.required('metadata')]);
  }
  const problems = [
    ...(metadata.name === key.name ? [] : [fieldError.invalid('metadata.name', metadata.name ?? '', 'field is immutable')]),
    ...((metadata.namespace ?? '') === key.namespace
      ? []
      : [fieldError.invalid('metadata.namespace', metadata.namespace ?? '', 'field is immutable')]),
    ...(patched.kind === current.kind ? [] : [fieldError.invalid('kind', patched.kind, 'field is immutable')]),
  ];
  if (problems.length > 0) throw invalidObject(descriptor, key.name, problems);
  checkResourceVersion(key, row, metadata.resourceVersion);
  return patched;
}

function withoutWriteRecord(resource: Resource): Resource {
  const metadata: ObjectMeta = { ...resource.metadata };
  delete metadata.resourceVersion;
  delete metadata.managedFields;
  return { ...resource, metadata };
}
