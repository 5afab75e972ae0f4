import type { StoredObject } from '../store/objects.ts';
import type { StoreSession } from '../store/port.ts';
import { refOf } from '../store/refs.ts';
import type { TenancyKind } from './object-keys.ts';

type Tenancy = StoredObject<TenancyKind>;

/**
 * Adds the finalizer unless the object has it. The write is conditional on the version read, so a
 * concurrent writer (another replica, a rename) makes it a Conflict and the reconcile runs again.
 */
export async function ensureFinalizer(session: StoreSession, object: Tenancy, finalizer: string): Promise<Tenancy> {
  const finalizers = object.metadata.finalizers ?? [];
  if (finalizers.includes(finalizer)) return object;
  return session.patch(refOf(object), { metadata: { finalizers: [...finalizers, finalizer] } }, preconditionsOf(object));
}

/** Removes the finalizer; with none left, an object being deleted goes. */
export async function removeFinalizer(session: StoreSession, object: Tenancy, finalizer: string): Promise<void> {
  const finalizers = object.metadata.finalizers ?? [];
  if (!finalizers.includes(finalizer)) return;
  const remaining = finalizers.filter((name) => name !== finalizer);
  await session.patch(refOf(object), { metadata: { finalizers: remaining.length > 0 ? remaining : null } }, preconditionsOf(object));
}

const preconditionsOf = (object: Tenancy) => ({ resourceVersion: object.metadata.resourceVersion! });
