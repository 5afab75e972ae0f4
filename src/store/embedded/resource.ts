import { StoreError, storeErrors } from '../errors.ts';
import { kinds, type KindDescriptor, type KindName } from '../kinds.ts';
import type { ObjectMeta } from '../objects.ts';
import type { Ref } from '../port.ts';

/** A stored object as the embedded backend handles it inside: plain JSON, any kind. */
export type Resource = { apiVersion: string; kind: KindName; metadata: ObjectMeta; [field: string]: unknown };

/** Where an object lives: its primary key. `namespace` is '' for cluster-scoped kinds. */
export type ObjectKey = { kind: KindName; namespace: string; name: string };

export function descriptorOf(kind: string): KindDescriptor {
  if (!Object.hasOwn(kinds, kind)) throw storeErrors.invalid(`unknown kind "${kind}"`);
  return kinds[kind as KindName];
}

/** The key a ref addresses; a namespaced kind needs a namespace, a cluster-scoped one ignores it. */
export function keyOfRef(ref: Ref): ObjectKey {
  const descriptor = descriptorOf(ref.kind);
  if (!descriptor.namespaced) return { kind: ref.kind, namespace: '', name: ref.name };
  if (ref.namespace === undefined || ref.namespace === '') {
    throw storeErrors.invalid(`${descriptor.kind} "${ref.name}": metadata.namespace: Required value`);
  }
  return { kind: ref.kind, namespace: ref.namespace, name: ref.name };
}

export function keyOf(resource: Resource): ObjectKey {
  return { kind: resource.kind, namespace: resource.metadata.namespace ?? '', name: resource.metadata.name };
}

/** `CFApp.korifi.cloudfoundry.org` / `Secret`: how Kubernetes names a kind in Invalid messages. */
export function qualifiedKind(descriptor: KindDescriptor): string {
  return descriptor.group === '' ? descriptor.kind : `${descriptor.kind}.${descriptor.group}`;
}

export function notFound(key: ObjectKey): StoreError {
  return storeErrors.notFound(descriptorOf(key.kind).plural, key.name);
}

export function conflict(key: ObjectKey): StoreError {
  return storeErrors.conflict(descriptorOf(key.kind).plural, key.name);
}

/** Everything beside metadata and status: what a change to bumps `generation`. */
export function specOf(resource: Resource): Record<string, unknown> {
  const spec: Record<string, unknown> = { ...resource };
  for (const key of ['apiVersion', 'kind', 'metadata', 'status']) delete spec[key];
  return spec;
}

/** The object with `apiVersion`, `kind` and `metadata` first, in the order the apiserver returns them. */
export function inApiOrder(resource: Resource): Resource {
  const { apiVersion, kind, metadata, ...rest } = resource;
  return { apiVersion, kind, metadata, ...rest };
}

export function copyResource(resource: Resource): Resource {
  return structuredClone(resource);
}
