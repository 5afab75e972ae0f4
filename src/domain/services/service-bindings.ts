import { randomUUID } from 'node:crypto';
import { notAuthorized, resourceNotFound, serviceUnavailable, unprocessableEntity, type ApiError } from '../../errors/api-error.ts';
import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { isStoreError } from '../../store/errors.ts';
import { apiVersionOf, kinds } from '../../store/kinds.ts';
import type { NewObject, StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { getApp, type App } from '../apps/app-service.ts';
import { metadataOfCreate, metadataPatchOf } from '../metadata-writes.ts';
import { createClaimed, releaseClaim, type NameClaim } from '../names/name-claims.ts';
import { isReadyAtGeneration, waitUntilReady } from '../readiness.ts';
import type { RequestContext } from '../request-context.ts';
import { getVisibleByGuid, getVisibleByGuidReadOnly, listInVisibleSpaces } from '../space-scoped.ts';
import { apiErrorOf, asCfError, mayI } from '../store-failures.ts';
import {
  credentialsOfSecret,
  getServiceInstance,
  serviceInstanceResourceType,
  spaceGuidOfInstance,
  type Credentials,
  type ServiceInstance,
} from './service-instances.ts';

export type ServiceBinding = StoredObject<'CFServiceBinding'>;

export const serviceBindingResourceType = 'Service Credential Binding';

/** The label Korifi puts on every binding for the servicebinding.io projection. */
export const provisionedServiceLabel = 'servicebinding.io/provisioned-service';

export type ServiceBindingFilters = {
  names?: readonly string[];
  guids?: readonly string[];
  appGuids?: readonly string[];
  serviceInstanceGuids?: readonly string[];
  type?: 'app' | 'key';
  labelSelector?: LabelSelector;
};

export type ServiceBindingCreate = {
  type: 'app' | 'key';
  name?: string | undefined;
  serviceInstanceGuid: string;
  appGuid?: string | undefined;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
};

/**
 * Cloud Controller's answer to binding an app to an instance a second time: the cf CLI matches this
 * text to report "already bound" and succeed. Korifi's own text (`Service binding already exists: …`,
 * a 10016) makes a repeated `cf bind-service` fail.
 */
const duplicateBinding = (): ApiError => unprocessableEntity('The app is already bound to the service instance');

/** One binding per app and instance: claimed in the space, atomically, as names are. */
const bindingClaim = (namespace: string, holder: string, appGuid: string, instanceGuid: string): NameClaim => ({
  namespace,
  entityType: 'cfservicebinding',
  name: `${appGuid}::${instanceGuid}`,
  holderKind: 'CFServiceBinding',
  holder,
});

export const spaceGuidOfBinding = (binding: ServiceBinding): string => binding.metadata.namespace ?? '';

const bindingRef = (binding: ServiceBinding) => ({
  kind: 'CFServiceBinding' as const,
  namespace: spaceGuidOfBinding(binding),
  name: binding.metadata.name,
});

export async function listServiceBindings(context: RequestContext, filters: ServiceBindingFilters): Promise<ServiceBinding[]> {
  const bindings = await listInVisibleSpaces(context, 'CFServiceBinding', {}, serviceBindingResourceType);
  return bindings.filter((binding) => matchesFilters(binding, filters));
}

const includes = (values: readonly string[] | undefined, value: string): boolean => values === undefined || values.includes(value);

function matchesFilters(binding: ServiceBinding, filters: ServiceBindingFilters): boolean {
  return (
    includes(filters.names, binding.spec.displayName ?? '') &&
    includes(filters.guids, binding.metadata.name) &&
    includes(filters.appGuids, binding.spec.appRef.name ?? '') &&
    includes(filters.serviceInstanceGuids, binding.spec.service.name ?? '') &&
    (filters.type === undefined || binding.spec.type === filters.type) &&
    (filters.labelSelector === undefined || matchesLabelSelector(filters.labelSelector, binding.metadata.labels ?? {}))
  );
}

export function getServiceBinding(context: RequestContext, guid: string, options: { readOnly?: boolean } = {}): Promise<ServiceBinding> {
  return (options.readOnly === true ? getVisibleByGuidReadOnly : getVisibleByGuid)(
    context,
    'CFServiceBinding',
    guid,
    serviceBindingResourceType,
  );
}

const appRefOf = (namespace: string, name: string) => ({ kind: 'CFApp' as const, namespace, name });

/** Whether the app's status lists the binding, for the app's current generation. */
const appLists = (app: App, bindingGuid: string): boolean =>
  (app.status?.serviceBindings ?? []).some((entry) => entry.guid === bindingGuid) &&
  app.status?.observedGeneration === app.metadata.generation;

/**
 * Binds a user-provided instance to an app as the caller, as Korifi does: a CFServiceBinding in the
 * instance's space naming both; then waits until its controller reports it Ready and the app's status
 * lists it (so the app's environment has it).
 */
export async function createServiceBinding(context: RequestContext, request: ServiceBindingCreate): Promise<ServiceBinding> {
  checkCreate(request);
  const instance = await getServiceInstance(context, request.serviceInstanceGuid, { readOnly: true });
  if (request.type === 'key' && instance.spec.type === 'user-provided') {
    throw unprocessableEntity("Service credential bindings of type 'key' are not supported for user-provided service instances.");
  }
  const namespace = spaceGuidOfInstance(instance);
  const app = await getApp(context, request.appGuid ?? '', { readOnly: true });
  if ((app.metadata.namespace ?? '') !== namespace) throw unprocessableEntity('The service instance and the app are in different spaces');
  if (!(await mayI(context, 'create', { kind: 'CFServiceBinding', namespace }, serviceBindingResourceType))) throw notAuthorized();
  const guid = randomUUID();
  const metadata = metadataOfCreate(request.metadata);
  const binding: NewObject<'CFServiceBinding'> = {
    kind: 'CFServiceBinding',
    metadata: { name: guid, namespace, ...metadata, labels: { ...metadata.labels, [provisionedServiceLabel]: 'true' } },
    spec: {
      ...(request.name !== undefined ? { displayName: request.name } : {}),
      service: { kind: 'CFServiceInstance', apiVersion: apiVersionOf(kinds.CFServiceInstance), name: instance.metadata.name },
      appRef: { name: app.metadata.name },
      // Korifi's LocalObjectReference with no name: written as `{}`.
      parameters: {} as { name: string },
      type: 'app',
    },
  };
  const claim = bindingClaim(namespace, guid, app.metadata.name, instance.metadata.name);
  const created = await asCfError(
    createClaimed(context.server, claim, () => context.user.create(binding)),
    serviceBindingResourceType,
  );
  if (created === undefined) throw duplicateBinding();
  const ready = await waitUntilReady(context.user, bindingRef(created), {
    timeoutSeconds: context.config.readyTimeoutSeconds,
    description: 'The service binding',
    resourceType: serviceBindingResourceType,
  });
  await waitForApp(context.user, appRefOf(namespace, app.metadata.name), {
    timeoutSeconds: context.config.readyTimeoutSeconds,
    condition: (current) => appLists(current, guid),
    what: 'list the new binding',
  });
  return ready;
}

/** Korifi's checks of the request itself, before anything is looked up. */
function checkCreate(request: ServiceBindingCreate): void {
  if (request.type === 'key') {
    if ((request.name ?? '') === '') throw unprocessableEntity('name is required');
    return;
  }
  if (request.appGuid === undefined) throw unprocessableEntity('relationships.app is required');
  if (request.appGuid === '') throw unprocessableEntity('relationships.app.data.guid cannot be blank');
}

/** Waits for the app's controller; running out of time is a 503 saying what did not happen. */
async function waitForApp(
  session: StoreSession,
  ref: { kind: 'CFApp'; namespace: string; name: string },
  { timeoutSeconds, condition, what }: { timeoutSeconds: number; condition: (app: App) => boolean; what: string },
): Promise<void> {
  try {
    await session.waitFor(ref, condition, { timeoutMs: timeoutSeconds * 1000 });
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return;
    if (!isStoreError(error, 'Timeout')) throw apiErrorOf(error, serviceBindingResourceType);
    throw serviceUnavailable(
      `The app's status did not ${what} within ${timeoutSeconds} seconds. ` +
        'Check that its controller (Korifi, or this server with reconcilers enabled) is running.',
    );
  }
}

export async function updateServiceBinding(
  context: RequestContext,
  guid: string,
  metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } | undefined,
): Promise<ServiceBinding> {
  const binding = await getServiceBinding(context, guid);
  const ref = bindingRef(binding);
  if (!(await mayI(context, 'patch', ref, serviceBindingResourceType))) throw notAuthorized();
  return asCfError(context.user.patch(ref, { metadata: metadataPatchOf(metadata) }), serviceBindingResourceType);
}

/** Unbinds as the caller, then waits until the app's status no longer lists the binding. */
export async function deleteServiceBinding(context: RequestContext, guid: string): Promise<void> {
  const binding = await getServiceBinding(context, guid);
  const ref = bindingRef(binding);
  if (!(await mayI(context, 'delete', ref, serviceBindingResourceType))) throw notAuthorized();
  try {
    await context.user.delete(ref);
  } catch (error) {
    if (!isStoreError(error, 'NotFound')) throw apiErrorOf(error, serviceBindingResourceType);
  }
  const appGuid = binding.spec.appRef.name ?? '';
  // The claim goes with the binding (it owns it), but a cluster's garbage collector may take a while:
  // freed now, the app can be bound to the instance again at once.
  await releaseClaim(context.server, bindingClaim(ref.namespace, guid, appGuid, binding.spec.service.name ?? ''));
  if (binding.spec.type !== 'app' || appGuid === '') return waitUntilGone(context, ref);
  await waitForApp(context.user, appRefOf(ref.namespace, appGuid), {
    timeoutSeconds: context.config.readyTimeoutSeconds,
    condition: (current) => !(current.status?.serviceBindings ?? []).some((entry) => entry.guid === guid),
    what: 'drop the binding',
  });
  await waitUntilGone(context, ref);
}

/**
 * Waits until a deleted binding is gone (its controller releases it once the app's services no longer
 * have it), so that a 204 means unbound; running out of time is a 503.
 */
export async function waitUntilGone(
  context: RequestContext,
  ref: { kind: 'CFServiceBinding'; namespace: string; name: string },
): Promise<void> {
  const timeoutSeconds = context.config.readyTimeoutSeconds;
  try {
    await context.user.waitForDeletion(ref, { timeoutMs: timeoutSeconds * 1000 });
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return;
    if (!isStoreError(error, 'Timeout')) throw apiErrorOf(error, serviceBindingResourceType);
    throw serviceUnavailable(
      `The service binding ${ref.name} was deleted but is still there after ${timeoutSeconds} seconds. ` +
        'Check that its controller (Korifi, or this server with reconcilers enabled) is running.',
    );
  }
}

/** `GET …/details`: the credentials the binding hands over, once it is ready (Korifi's 404 before). */
export async function getServiceBindingDetails(context: RequestContext, guid: string): Promise<{ credentials: Credentials }> {
  const binding = await getServiceBinding(context, guid, { readOnly: true });
  if (!isReadyAtGeneration(binding)) throw resourceNotFound(serviceBindingResourceType);
  let instance: ServiceInstance;
  try {
    instance = await getServiceInstance(context, binding.spec.service.name ?? '', { readOnly: true });
  } catch {
    throw resourceNotFound(serviceBindingResourceType);
  }
  const secret = await asCfError(
    context.user.get({ kind: 'Secret', namespace: spaceGuidOfInstance(instance), name: instance.spec.secretName }),
    serviceInstanceResourceType,
  );
  const credentials = credentialsOfSecret(secret);
  if (credentials === undefined) {
    throw unprocessableEntity(`failed to decode credentials secret for service instance: ${instance.metadata.name}`);
  }
  return { credentials };
}
