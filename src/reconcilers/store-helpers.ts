import { isStoreError } from '../store/errors.ts';
import type { KindName } from '../store/kinds.ts';
import type { StoredObject } from '../store/objects.ts';
import type { Ref, StoreSession, WritePreconditions } from '../store/port.ts';

/** The object, or undefined when it does not exist. */
export async function getIfExists<K extends KindName>(session: StoreSession, ref: Ref<K>): Promise<StoredObject<K> | undefined> {
  try {
    return await session.get(ref);
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return undefined;
    throw error;
  }
}

/** Deletes the object; one already gone (another replica was first) is fine. */
export async function deleteIfExists(session: StoreSession, ref: Ref, preconditions?: WritePreconditions): Promise<void> {
  try {
    await session.delete(ref, preconditions);
  } catch (error) {
    if (!isStoreError(error, 'NotFound')) throw error;
  }
}

/** Whether an object is being deleted. */
export const isDeleting = (object: StoredObject): boolean => object.metadata.deletionTimestamp !== undefined;
