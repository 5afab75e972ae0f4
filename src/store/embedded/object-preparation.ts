import { storeErrors } from '../errors.ts';
import { apiVersionOf, tracksGeneration, type KindDescriptor } from '../kinds.ts';
import type { NewObject, ObjectMeta } from '../objects.ts';
import type { CrdSchema } from '../kubernetes/crd-manifests.ts';
import { assertValid, fieldError, invalidObject } from './field-errors.ts';
import { kindRules, statusRules } from './kind-rules.ts';
import { metadataProblems } from './metadata-validation.ts';
import { inApiOrder, type ObjectKey, type Resource } from './resource.ts';
import { carryServerMetadata, omitEmptyMetadata, stampCreate } from './server-metadata.ts';
import { applyStructuralSchema } from './structural-schema.ts';

/**
 * The key a new object will have. A namespaced kind needs `metadata.namespace`; a cluster-scoped
 * kind drops one (as the apiserver does for a cluster-scoped request).
 */
export function keyForNew(descriptor: KindDescriptor, input: NewObject): ObjectKey {
  const metadata = input.metadata as ObjectMeta | undefined;
  if (typeof metadata !== 'object' || metadata === null) throw invalidObject(descriptor, '', [fieldError.required('metadata')]);
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (!descriptor.namespaced) return { kind: input.kind, namespace: '', name };
  if (!metadata.namespace) throw invalidObject(descriptor, name, [fieldError.required('metadata.namespace')]);
  return { kind: input.kind, namespace: metadata.namespace, name };
}

/**
 * How to prepare a write: for custom kinds the structural schema, and a check that runs once
 * defaults are applied and before validation (where the apiserver refuses RBAC escalations).
 */
export type UpdatePreparation = { schema: CrdSchema | undefined; admit?: ((next: Resource) => void) | undefined };
/** A create also needs its time. */
export type Preparation = UpdatePreparation & { now: string };

/** A new object as the apiserver would store it (all but its resourceVersion), or Invalid. */
export function prepareCreate(descriptor: KindDescriptor, input: NewObject, { now, schema, admit }: Preparation): Resource {
  checkApiVersion(descriptor, input.apiVersion, input.metadata.name);
  if (input.metadata.resourceVersion) {
    throw storeErrors.invalid(`${descriptor.kind} "${input.metadata.name}": resourceVersion should not be set on objects to be created`);
  }
  const resource = inApiOrder(structuredClone({ ...input, apiVersion: apiVersionOf(descriptor) }));
  if (!descriptor.namespaced) delete resource.metadata.namespace;
  // The status subresource owns status: what a create sends is dropped.
  if (descriptor.statusSubresource) delete resource.status;
  const rules = kindRules(descriptor);
  rules.create(resource);
  const schemaProblems = schema === undefined ? [] : applyStructuralSchema(schema, resource);
  resource.metadata = omitEmptyMetadata(stampCreate(resource.metadata, { now, tracksGeneration: tracksGeneration(descriptor) }));
  admit?.(resource);
  assertValid(descriptor, resource.metadata.name, [
    ...metadataProblems(descriptor, resource.metadata),
    ...schemaProblems,
    ...rules.problems(resource),
  ]);
  return resource;
}

/**
 * An update of the object (not its status) as the apiserver would apply it: server-owned metadata
 * and, with a status subresource, the status stay as stored.
 */
export function prepareUpdate(
  descriptor: KindDescriptor,
  current: Resource,
  input: Resource,
  { schema, admit }: UpdatePreparation,
): Resource {
  const name = current.metadata.name;
  checkApiVersion(descriptor, input.apiVersion, name);
  assertValid(descriptor, name, immutableMetadataProblems(input.metadata, current.metadata));
  const next = inApiOrder(structuredClone({ ...input, apiVersion: current.apiVersion, kind: current.kind }));
  next.metadata = carryServerMetadata(next.metadata, current.metadata);
  if (current.metadata.namespace === undefined) delete next.metadata.namespace;
  else next.metadata.namespace = current.metadata.namespace;
  if (descriptor.statusSubresource) {
    if (current.status === undefined) delete next.status;
    else next.status = structuredClone(current.status);
  }
  const rules = kindRules(descriptor);
  rules.update(next, current);
  next.metadata = omitEmptyMetadata(next.metadata);
  admit?.(next);
  assertValid(descriptor, name, [
    ...metadataProblems(descriptor, next.metadata),
    ...(schema === undefined ? [] : applyStructuralSchema(schema, next)),
    ...finalizerAdditionProblems(next.metadata, current.metadata),
    ...rules.problems(next, current),
  ]);
  return next;
}

/** A status write: the stored object with only its status replaced (defaulted and checked as the kind's status strategy does). */
export function prepareStatusUpdate(
  descriptor: KindDescriptor,
  current: Resource,
  status: unknown,
  schema: CrdSchema | undefined,
): Resource {
  const next = structuredClone(current);
  if (status === undefined || status === null) delete next.status;
  else next.status = structuredClone(status);
  const rules = statusRules(descriptor);
  rules.update(next);
  assertValid(descriptor, current.metadata.name, [
    ...(schema === undefined ? [] : applyStructuralSchema(schema, next)),
    ...rules.problems(next),
  ]);
  return next;
}

function checkApiVersion(descriptor: KindDescriptor, apiVersion: unknown, name: string): void {
  const expected = apiVersionOf(descriptor);
  if (apiVersion !== undefined && apiVersion !== expected) {
    throw invalidObject(descriptor, name, [
      fieldError.invalid('apiVersion', apiVersion, `must be "${expected}" for kind ${descriptor.kind}`),
    ]);
  }
}

function immutableMetadataProblems(next: ObjectMeta, current: ObjectMeta): string[] {
  const problems: string[] = [];
  if (next.uid !== undefined && next.uid !== '' && next.uid !== current.uid) {
    problems.push(fieldError.invalid('metadata.uid', next.uid, 'field is immutable'));
  }
  if (next.deletionTimestamp !== undefined && current.deletionTimestamp === undefined) {
    problems.push(fieldError.invalid('metadata.deletionTimestamp', next.deletionTimestamp, 'field is immutable; current value is nil'));
  }
  return problems;
}

function finalizerAdditionProblems(next: ObjectMeta, current: ObjectMeta): string[] {
  if (current.deletionTimestamp === undefined) return [];
  const added = (next.finalizers ?? []).filter((finalizer) => !(current.finalizers ?? []).includes(finalizer));
  if (added.length === 0) return [];
  const list = added.map((finalizer) => JSON.stringify(finalizer)).join(', ');
  return [
    fieldError.forbidden(
      'metadata.finalizers',
      `no new finalizers can be added if the object is being deleted, found new finalizers []string{${list}}`,
    ),
  ];
}
