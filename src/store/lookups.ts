import { isStoreError } from './errors.ts';
import type { KindName } from './kinds.ts';
import type { StoredObject } from './objects.ts';
import type { Ref, StoreSession, WritePreconditions } from './port.ts';

/** The object, or undefined when it does not exist (any other failure is thrown). */
export async function getIfExists<K extends KindName>(session: StoreSession, ref: Ref<K>): Promise<StoredObject<K> | undefined> {
  try {
    return await session.get(ref);
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return undefined;
    throw error;
  }
}

/** Deletes the object; one already gone (someone else was first) is fine. */
export async function deleteIfExists(session: StoreSession, ref: Ref, preconditions?: WritePreconditions): Promise<void> {
  try {
    await session.delete(ref, preconditions);
  } catch (error) {
    if (!isStoreError(error, 'NotFound')) throw error;
  }
}
