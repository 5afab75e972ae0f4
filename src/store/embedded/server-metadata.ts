import { randomUUID } from 'node:crypto';
import type { ManagedFieldsEntry, ObjectMeta } from '../objects.ts';

/** The field manager our writes are recorded under, as a client's user agent would be. */
export const fieldManager = 'cf-k8s-api';

/** RFC 3339 with whole seconds, as Kubernetes renders `metav1.Time`. */
export function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Server-owned metadata of a new object; whatever the client sent for these is replaced. */
export function stampCreate(metadata: ObjectMeta, options: { now: string; tracksGeneration: boolean }): ObjectMeta {
  const stamped: ObjectMeta = { ...metadata, uid: randomUUID(), creationTimestamp: options.now };
  delete stamped.deletionTimestamp;
  delete stamped.generation;
  delete stamped.managedFields;
  if (options.tracksGeneration) stamped.generation = 1;
  return stamped;
}

/** An update may not change what the server owns: it keeps the stored values. */
export function carryServerMetadata(next: ObjectMeta, current: ObjectMeta): ObjectMeta {
  const carried: ObjectMeta = { ...next };
  for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'generation', 'managedFields'] as const) {
    if (current[field] === undefined) delete carried[field];
    else (carried as Record<string, unknown>)[field] = current[field];
  }
  const gracePeriod = (current as { deletionGracePeriodSeconds?: number }).deletionGracePeriodSeconds;
  if (gracePeriod !== undefined) (carried as { deletionGracePeriodSeconds?: number }).deletionGracePeriodSeconds = gracePeriod;
  return carried;
}

/**
 * Records a write in `managedFields`: one entry per subresource ('' for the object, 'status'),
 * holding the time of its last write; presenters take `updated_at` from the newest.
 */
export function recordWrite(
  entries: ManagedFieldsEntry[] | undefined,
  write: { apiVersion: string; subresource: '' | 'status'; time: string },
) {
  const entry: ManagedFieldsEntry = { manager: fieldManager, operation: 'Update', apiVersion: write.apiVersion, time: write.time };
  if (write.subresource !== '') entry.subresource = write.subresource;
  const others = (entries ?? []).filter((existing) => (existing.subresource ?? '') !== write.subresource);
  return write.subresource === '' ? [entry, ...others] : [...others, entry];
}

/** The fields of `metav1.ObjectMeta`; the apiserver decodes metadata into it, dropping anything else. */
const objectMetaFields = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

/** Metadata as the apiserver stores it: only ObjectMeta's fields, empty maps and lists left out (`omitempty`). */
export function omitEmptyMetadata(metadata: ObjectMeta): ObjectMeta {
  const result: ObjectMeta = { ...metadata };
  for (const field of Object.keys(result)) if (!objectMetaFields.has(field)) delete (result as Record<string, unknown>)[field];
  for (const field of ['labels', 'annotations'] as const) {
    const value = result[field];
    if (value === null || (value !== undefined && Object.keys(value).length === 0)) delete result[field];
  }
  for (const field of ['finalizers', 'ownerReferences'] as const) {
    const value = result[field];
    if (value === null || (value !== undefined && value.length === 0)) delete result[field];
  }
  return result;
}
