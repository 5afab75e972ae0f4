import { apiVersionOf, kinds, type KindName } from '../kinds.ts';
import type { OwnerReference } from '../objects.ts';
import type { ObjectTable } from './object-table.ts';
import type { ObjectKey } from './resource.ts';

/**
 * What the garbage collector finds behind one ownerReference: the owner with that uid, no such
 * owner, or a reference it cannot resolve, which makes it leave the dependent alone (Kubernetes
 * retries those forever): a kind it does not serve, a group or version the kind is not served at,
 * or a namespaced owner of a cluster-scoped object.
 */
export type OwnerState = 'present' | 'absent' | 'unresolvable';

/** Owners are looked up in the dependent's namespace, or at cluster scope for a cluster-scoped kind. */
export function ownerState(table: ObjectTable, dependent: ObjectKey, reference: OwnerReference): OwnerState {
  if (!Object.hasOwn(kinds, reference.kind)) return 'unresolvable';
  const kind = reference.kind as KindName;
  const descriptor = kinds[kind];
  if (reference.apiVersion !== apiVersionOf(descriptor)) return 'unresolvable';
  if (descriptor.namespaced && dependent.namespace === '') return 'unresolvable';
  const owner = table.read({ kind, namespace: descriptor.namespaced ? dependent.namespace : '', name: reference.name });
  return owner?.resource.metadata.uid === reference.uid ? 'present' : 'absent';
}
