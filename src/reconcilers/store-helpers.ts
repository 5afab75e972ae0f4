import type { StoredObject } from '../store/objects.ts';

/** Whether an object is being deleted. */
export const isDeleting = (object: StoredObject): boolean => object.metadata.deletionTimestamp !== undefined;
