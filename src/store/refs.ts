import type { KindName } from './kinds.ts';
import type { NewObject, StoredObject } from './objects.ts';
import type { Ref } from './port.ts';

/** The reference that addresses an object (no namespace key for cluster-scoped kinds). */
export function refOf<K extends KindName>(object: StoredObject<K> | NewObject<K>): Ref<K> {
  const { name, namespace } = object.metadata;
  return namespace === undefined ? { kind: object.kind, name } : { kind: object.kind, name, namespace };
}

/**
 * Whether a name can be a path segment as it is. URL resolution collapses `.` and `..` (so a get of
 * `.` would read the whole collection, a delete of `..` the namespace), and the apiserver refuses
 * `/` and `%` in names anyway: no object can have such a name.
 */
export function isAddressableName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/%]/.test(name);
}
