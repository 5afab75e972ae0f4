import { StoreError, storeErrors } from '../errors.ts';
import type { NewObject } from '../objects.ts';
import { keyForNew, prepareCreate } from './object-preparation.ts';
import { descriptorOf, type ObjectKey, type Resource } from './resource.ts';
import { recordWrite } from './server-metadata.ts';
import { admissionFor, type WriteContext } from './write-context.ts';

/** Creates one object within the caller's transaction, as the apiserver would. */
export function createObject(context: WriteContext, input: NewObject): Resource {
  const descriptor = descriptorOf(input.kind);
  const key = keyForNew(descriptor, input);
  if (descriptor.namespaced) checkNamespaceAcceptsContent(context, key);
  const resource = prepareCreate(descriptor, input, {
    now: context.batch.now,
    schema: context.schemas.get(descriptor.kind),
    admit: admissionFor(context, undefined),
  });
  resource.metadata.managedFields = recordWrite(undefined, { apiVersion: resource.apiVersion, subresource: '', time: context.batch.now });
  resource.metadata.resourceVersion = String(context.batch.nextVersion());
  const json = JSON.stringify(resource);
  // The key's unique index answers AlreadyExists (see sqlite-errors.ts).
  context.table.insert(key, resource, json);
  context.batch.record('ADDED', resource, undefined, json);
  return resource;
}

/** The NamespaceLifecycle admission check: no new content in a missing or terminating namespace. */
function checkNamespaceAcceptsContent(context: WriteContext, key: ObjectKey): void {
  const namespace = context.table.read({ kind: 'Namespace', namespace: '', name: key.namespace });
  if (namespace === undefined) throw storeErrors.notFound('namespaces', key.namespace);
  if (namespace.resource.metadata.deletionTimestamp !== undefined) {
    const descriptor = descriptorOf(key.kind);
    const resource = descriptor.group === '' ? descriptor.plural : `${descriptor.plural}.${descriptor.group}`;
    throw new StoreError(
      'Forbidden',
      `${resource} "${key.name}" is forbidden: unable to create new content in namespace ${key.namespace} because it is being terminated`,
    );
  }
}
