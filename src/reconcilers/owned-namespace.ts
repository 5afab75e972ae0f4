import type { StoredObject } from '../store/objects.ts';
import type { MergePatch, Ref, StoreSession } from '../store/port.ts';
import { deleteIfExists, getIfExists } from '../store/lookups.ts';
import { isDeleting } from './store-helpers.ts';
import type { NamespaceMarks } from './tenancy-levels.ts';

/** Why an object is not Ready yet, in the words of its Ready condition. */
export type NotReady = { reason: string; message: string };

/** Which namespace an org or space owns, the labels that say it is theirs, and how it is marked. */
export type OwnedNamespace = { name: string; ownerLabels: Record<string, string>; marks: NamespaceMarks };

const namespaceRef = (name: string): Ref<'Namespace'> => ({ kind: 'Namespace', name });

/** A namespace is an object's when it carries the object's owner labels, as every namespace Korifi or we create does. */
const isOwnedBy = (namespace: StoredObject<'Namespace'>, owned: OwnedNamespace) =>
  Object.entries(owned.ownerLabels).every(([key, value]) => namespace.metadata.labels?.[key] === value);

/**
 * Creates the namespace, or brings its labels and annotations up to date (a rename changes them).
 * Says why not when it cannot: it is still terminating (an earlier object of the same name), or it
 * belongs to something else (never adopted, so that deleting the object cannot delete it).
 */
export async function ensureOwnedNamespace(session: StoreSession, owned: OwnedNamespace): Promise<NotReady | undefined> {
  const existing = await getIfExists(session, namespaceRef(owned.name));
  if (existing === undefined) {
    const { labels, annotations } = owned.marks;
    await session.create({ kind: 'Namespace', metadata: { name: owned.name, labels, annotations } });
    return undefined;
  }
  if (isDeleting(existing)) {
    return { reason: 'NamespaceTerminating', message: `namespace ${owned.name} is still being deleted` };
  }
  if (!isOwnedBy(existing, owned)) {
    return { reason: 'NamespaceConflict', message: `namespace ${owned.name} exists and does not belong to this object` };
  }
  const patch = marksPatch(existing, owned.marks);
  if (patch !== undefined) await session.patch(namespaceRef(owned.name), patch, { resourceVersion: existing.metadata.resourceVersion! });
  return undefined;
}

/**
 * Deletes the namespace (and so everything in it) and says whether it is gone. One that is not the
 * object's is left alone and counts as gone.
 */
export async function deleteOwnedNamespace(session: StoreSession, owned: OwnedNamespace): Promise<boolean> {
  const existing = await getIfExists(session, namespaceRef(owned.name));
  if (existing === undefined || !isOwnedBy(existing, owned)) return true;
  if (!isDeleting(existing)) await deleteIfExists(session, namespaceRef(owned.name));
  // The embedded store removes an emptied namespace at once; Kubernetes' namespace controller takes a while.
  return (await getIfExists(session, namespaceRef(owned.name))) === undefined;
}

/** Whether the namespace exists and is not being deleted. */
export async function isActiveNamespace(session: StoreSession, name: string): Promise<boolean> {
  const namespace = await getIfExists(session, namespaceRef(name));
  return namespace !== undefined && !isDeleting(namespace);
}

function marksPatch(namespace: StoredObject<'Namespace'>, marks: NamespaceMarks): MergePatch | undefined {
  const labels = changed(namespace.metadata.labels, marks.labels);
  const annotations = changed(namespace.metadata.annotations, marks.annotations);
  if (labels === undefined && annotations === undefined) return undefined;
  return { metadata: { ...(labels && { labels }), ...(annotations && { annotations }) } };
}

/** The entries of `wanted` that `current` lacks or has with another value; other entries are not ours to touch. */
function changed(current: Record<string, string> | undefined, wanted: Record<string, string>): Record<string, string> | undefined {
  const entries = Object.entries(wanted).filter(([key, value]) => current?.[key] !== value);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}
