import type { KindName } from './kinds.ts';
import type { NewObject, StoredObject } from './objects.ts';
import type { Ref } from './port.ts';

/** The reference that addresses an object (no namespace key for cluster-scoped kinds). */
export function refOf<K extends KindName>(object: StoredObject<K> | NewObject<K>): Ref<K> {
  const { name, namespace } = object.metadata;
  return namespace === undefined ? { kind: object.kind, name } : { kind: object.kind, name, namespace };
}
