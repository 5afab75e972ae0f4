import { randomUUID } from 'node:crypto';
import { notAuthorized, resourceNotFound, uniquenessError, unprocessableEntity, type ApiError } from '../../errors/api-error.ts';
import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { isStoreError } from '../../store/errors.ts';
import { apiVersionOf, kinds } from '../../store/kinds.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import type { NewObject, StoredObject } from '../../store/objects.ts';
import { metadataOfCreate, metadataPatchOf } from '../metadata-writes.ts';
import { bindClaim, claimFor, createClaimed, releaseClaim, type NameClaim } from '../names/name-claims.ts';
import type { RequestContext } from '../request-context.ts';
import { getVisibleByGuid, getVisibleByGuidReadOnly, listInVisibleSpaces } from '../space-scoped.ts';
import { apiErrorOf, asCfError, mayI, referenced } from '../store-failures.ts';
import { invalidSpace } from '../tenancy/reference-errors.ts';
import { getSpace } from '../tenancy/space-service.ts';
import { waitUntilGone } from './service-bindings.ts';

export type ServiceInstance = StoredObject<'CFServiceInstance'>;
export type Credentials = Record<string, unknown>;

export const serviceInstanceResourceType = 'Service Instance';

/**
 * CF's `syslog_drain_url` and `route_service_url` of a user-provided instance. Korifi's CFServiceInstance
 * has no field for them (its API drops them), so they are kept as annotations in the platform's
 * `cloudfoundry.org` domain, which users cannot set and are not shown among the instance's metadata.
 */
export const syslogDrainAnnotation = 'cfapi.cloudfoundry.org/syslog-drain-url';
export const routeServiceAnnotation = 'cfapi.cloudfoundry.org/route-service-url';

export type ServiceInstanceFilters = {
  names?: readonly string[];
  guids?: readonly string[];
  spaceGuids?: readonly string[];
  organizationGuids?: readonly string[];
  type?: 'managed' | 'user-provided';
  servicePlanGuids?: readonly string[];
  servicePlanNames?: readonly string[];
  labelSelector?: LabelSelector;
};

export type ServiceInstanceCreate = {
  type: 'user-provided' | 'managed';
  name: string;
  spaceGuid: string;
  credentials?: Credentials | undefined;
  tags?: string[] | undefined;
  syslogDrainUrl?: string | undefined;
  routeServiceUrl?: string | undefined;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
};

export type ServiceInstanceUpdate = {
  name?: string | undefined;
  tags?: string[] | null | undefined;
  credentials?: Credentials | null | undefined;
  syslogDrainUrl?: string | undefined;
  routeServiceUrl?: string | undefined;
  metadata?: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } | undefined;
};

/** Korifi's answer to a name already used in the space. */
export const duplicateServiceInstance = (name: string): ApiError => uniquenessError(`The service instance name is taken: ${name}`);

/** Until brokers exist, a managed instance cannot be made: said plainly rather than with a plan lookup. */
const managedNotAvailable = (): ApiError =>
  unprocessableEntity(
    'Invalid service plan. Ensure that the service plan exists, is available, and you have access to it. ' +
      'This API has no service brokers: only user-provided service instances can be created.',
  );

/** Korifi's limit on the tags (the sum of their lengths). */
const maxCombinedTagsLength = 2048;

function checkTags(tags: readonly string[] | null | undefined): void {
  if (!tags) return;
  const combined = tags.reduce((sum, tag) => sum + tag.length, 0);
  if (combined >= maxCombinedTagsLength) throw unprocessableEntity(`combined length of tags cannot exceed ${maxCombinedTagsLength}`);
}

/**
 * Instance names are unique per space and, unlike app names, compared case-sensitively (as in Korifi).
 * Claims are named after the lower-cased name, so the claimed name is the hex of the name's bytes.
 */
export const serviceInstanceNameClaim = (namespace: string, holder: string, name: string): NameClaim => ({
  namespace,
  entityType: 'cfserviceinstance',
  name: Buffer.from(name, 'utf8').toString('hex'),
  holderKind: 'CFServiceInstance',
  holder,
});

export const spaceGuidOfInstance = (instance: ServiceInstance): string => instance.metadata.namespace ?? '';

const instanceRef = (instance: ServiceInstance) => ({
  kind: 'CFServiceInstance' as const,
  namespace: spaceGuidOfInstance(instance),
  name: instance.metadata.name,
});

/** Service instances: CFServiceInstances in the spaces the caller sees. */
export async function listServiceInstances(context: RequestContext, filters: ServiceInstanceFilters): Promise<ServiceInstance[]> {
  const instances = await listInVisibleSpaces(context, 'CFServiceInstance', filters, serviceInstanceResourceType);
  return instances.filter((instance) => matchesFilters(instance, filters));
}

function matchesFilters(instance: ServiceInstance, filters: ServiceInstanceFilters): boolean {
  if (filters.names && !filters.names.includes(instance.spec.displayName)) return false;
  if (filters.guids && !filters.guids.includes(instance.metadata.name)) return false;
  if (filters.type && instance.spec.type !== filters.type) return false;
  if (filters.servicePlanGuids && !filters.servicePlanGuids.includes(instance.spec.planGuid)) return false;
  // Plans come from brokers, which this API has none of: no instance has a plan name.
  if (filters.servicePlanNames) return false;
  return !filters.labelSelector || matchesLabelSelector(filters.labelSelector, instance.metadata.labels ?? {});
}

export function getServiceInstance(context: RequestContext, guid: string, options: { readOnly?: boolean } = {}): Promise<ServiceInstance> {
  return (options.readOnly === true ? getVisibleByGuidReadOnly : getVisibleByGuid)(
    context,
    'CFServiceInstance',
    guid,
    serviceInstanceResourceType,
  );
}

/**
 * Creates a user-provided instance and its credentials Secret as the caller, as Korifi writes them: the
 * CFServiceInstance (its GUID also names the Secret), then the Secret owned by it with the credentials as
 * JSON under `credentials`. The name is claimed in the space first; an instance whose Secret could not be
 * written is deleted again (as the server).
 */
export async function createServiceInstance(context: RequestContext, request: ServiceInstanceCreate): Promise<ServiceInstance> {
  const space = await referenced(getSpace(context, request.spaceGuid), invalidSpace);
  if (space.metadata.deletionTimestamp !== undefined) throw invalidSpace();
  const namespace = space.metadata.name;
  if (!(await mayI(context, 'create', { kind: 'CFServiceInstance', namespace }, serviceInstanceResourceType))) throw notAuthorized();
  if (request.type === 'managed') throw managedNotAvailable();
  checkTags(request.tags);
  const guid = randomUUID();
  const metadata = metadataOfCreate(request.metadata);
  const urls = {
    ...(request.syslogDrainUrl ? { [syslogDrainAnnotation]: request.syslogDrainUrl } : {}),
    ...(request.routeServiceUrl ? { [routeServiceAnnotation]: request.routeServiceUrl } : {}),
  };
  const instance: NewObject<'CFServiceInstance'> = {
    kind: 'CFServiceInstance',
    metadata: {
      name: guid,
      namespace,
      ...metadata,
      ...(Object.keys(urls).length > 0 ? { annotations: { ...metadata.annotations, ...urls } } : {}),
    },
    spec: {
      displayName: request.name,
      secretName: guid,
      type: 'user-provided',
      tags: request.tags ?? [],
      planGuid: '',
    },
  };
  const claim = serviceInstanceNameClaim(namespace, guid, request.name);
  const created = await asCfError(
    createClaimed(context.server, claim, () => createWithCredentials(context, instance, request.credentials)),
    serviceInstanceResourceType,
  );
  if (created === undefined) throw duplicateServiceInstance(request.name);
  return created;
}

async function createWithCredentials(
  context: RequestContext,
  instance: NewObject<'CFServiceInstance'>,
  credentials: Credentials | undefined,
): Promise<ServiceInstance> {
  const created = await context.user.create(instance);
  try {
    await context.user.create(credentialsSecret(created, credentials));
  } catch (error) {
    await context.server.delete(instanceRef(created)).catch(() => undefined);
    throw error;
  }
  return created;
}

/** The Secret Korifi keeps a user-provided instance's credentials in. */
function credentialsSecret(instance: ServiceInstance, credentials: Credentials | undefined): NewObject<'Secret'> {
  return {
    kind: 'Secret',
    metadata: {
      name: instance.spec.secretName,
      namespace: spaceGuidOfInstance(instance),
      labels: { [label('service-instance-guid')]: instance.metadata.name },
      ownerReferences: [
        {
          apiVersion: apiVersionOf(kinds.CFServiceInstance),
          kind: 'CFServiceInstance',
          name: instance.metadata.name,
          uid: instance.metadata.uid ?? '',
        },
      ],
    },
    data: credentialsData(credentials),
  };
}

const credentialsData = (credentials: Credentials | null | undefined): Record<string, string> => ({
  credentials: Buffer.from(JSON.stringify(credentials ?? {}), 'utf8').toString('base64'),
});

/** The credentials in a credentials Secret's data, or undefined when they are not a JSON object. */
export function credentialsOfSecret(secret: StoredObject<'Secret'>): Credentials | undefined {
  const encoded = secret.data?.['credentials'];
  if (encoded === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    if (parsed === null) return {};
    return typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Credentials) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `GET /v3/service_instances/{guid}/credentials`: the user-provided instance's credentials, read as the
 * caller (roles that may not read Secrets get 403, as in Korifi); managed instances answer 404.
 */
export async function getServiceInstanceCredentials(context: RequestContext, guid: string): Promise<Credentials> {
  const instance = await getServiceInstance(context, guid, { readOnly: true });
  if (instance.spec.type !== 'user-provided') throw resourceNotFoundOfInstance();
  const secret = await asCfError(
    context.user.get({ kind: 'Secret', namespace: spaceGuidOfInstance(instance), name: instance.spec.secretName }),
    serviceInstanceResourceType,
  );
  const credentials = credentialsOfSecret(secret);
  if (credentials === undefined) throw unprocessableEntity(`failed to decode credentials secret for service instance: ${guid}`);
  return credentials;
}

const resourceNotFoundOfInstance = (): ApiError => resourceNotFound(serviceInstanceResourceType);

const maxUpdateAttempts = 3;

/**
 * Renames, retags, relabels and changes the credentials of an instance as the caller. `tags: null` clears
 * the tags and `credentials: null` the credentials; new credentials replace the Secret's content.
 */
export async function updateServiceInstance(
  context: RequestContext,
  guid: string,
  request: ServiceInstanceUpdate,
): Promise<ServiceInstance> {
  checkTags(request.tags);
  for (let attempt = 1; ; attempt++) {
    try {
      return await updateOnce(context, await getServiceInstance(context, guid), request);
    } catch (error) {
      if (!isStoreError(error, 'Conflict') || attempt >= maxUpdateAttempts) throw error;
    }
  }
}

async function updateOnce(context: RequestContext, current: ServiceInstance, request: ServiceInstanceUpdate): Promise<ServiceInstance> {
  const ref = instanceRef(current);
  if (!(await mayI(context, 'patch', ref, serviceInstanceResourceType))) throw notAuthorized();
  const renamed = request.name !== undefined && request.name !== current.spec.displayName;
  const newName = renamed ? serviceInstanceNameClaim(ref.namespace, current.metadata.name, request.name!) : undefined;
  if (newName && !(await claimFor(context.server, newName))) throw duplicateServiceInstance(request.name!);
  let updated: ServiceInstance;
  try {
    const credentialsVersion =
      request.credentials === undefined ? undefined : await replaceCredentials(context, current, request.credentials);
    updated = await asCfError(
      context.user.patch(ref, patchOf(request, renamed, credentialsVersion), { resourceVersion: current.metadata.resourceVersion ?? '' }),
      serviceInstanceResourceType,
    );
  } catch (error) {
    if (newName) await releaseClaim(context.server, newName);
    throw error;
  }
  if (newName) {
    await bindClaim(context.server, newName, updated);
    await releaseClaim(context.server, serviceInstanceNameClaim(ref.namespace, current.metadata.name, current.spec.displayName));
  }
  return updated;
}

/** An annotation's merge-patch value: '' removes it. */
const annotationChange = (key: string, value: string | undefined): Record<string, string | null> =>
  value === undefined ? {} : { [key]: value === '' ? null : value };

/**
 * Marks an instance whose credentials were replaced with the Secret's new version, so that whoever
 * keeps bound apps' VCAP_SERVICES (this server's controllers) hears of it through the instance.
 */
export const credentialsVersionAnnotation = 'cfapi.cloudfoundry.org/credentials-version';

/** The merge patch of an update (the credentials live in the Secret). */
function patchOf(request: ServiceInstanceUpdate, renamed: boolean, credentialsVersion: string | undefined): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (request.tags !== undefined) spec['tags'] = request.tags ?? [];
  if (renamed) spec['displayName'] = request.name;
  const metadata: Record<string, unknown> = metadataPatchOf(request.metadata);
  const urls = {
    ...annotationChange(syslogDrainAnnotation, request.syslogDrainUrl),
    ...annotationChange(routeServiceAnnotation, request.routeServiceUrl),
    ...annotationChange(credentialsVersionAnnotation, credentialsVersion),
  };
  if (Object.keys(urls).length > 0) metadata['annotations'] = { ...(metadata['annotations'] as object | undefined), ...urls };
  return { metadata, ...(Object.keys(spec).length > 0 ? { spec } : {}) };
}

/** Overwrites the credentials Secret's content (the Secret is kept: the instance's status names it); answers its new version. */
async function replaceCredentials(context: RequestContext, instance: ServiceInstance, credentials: Credentials | null): Promise<string> {
  const ref = { kind: 'Secret' as const, namespace: spaceGuidOfInstance(instance), name: instance.spec.secretName };
  let written: StoredObject<'Secret'>;
  try {
    written = await context.user.patch(ref, { data: credentialsData(credentials) });
  } catch (error) {
    if (!isStoreError(error, 'NotFound')) throw apiErrorOf(error, serviceInstanceResourceType);
    written = await asCfError(context.user.create(credentialsSecret(instance, credentials ?? undefined)), serviceInstanceResourceType);
  }
  return written.metadata.resourceVersion ?? '';
}

/**
 * Deletes a user-provided instance as the caller, its bindings first (as CF unbinds them); the Secret
 * and the name claim go with the instance (owner references).
 */
export async function deleteServiceInstance(context: RequestContext, guid: string): Promise<void> {
  const instance = await getServiceInstance(context, guid);
  const ref = instanceRef(instance);
  if (!(await mayI(context, 'delete', ref, serviceInstanceResourceType))) throw notAuthorized();
  const bindings = await asCfError(
    context.user.list('CFServiceBinding', {
      namespace: ref.namespace,
      labelSelector: [{ key: label('service-instance-guid'), operator: 'equals', value: guid }],
    }),
    serviceInstanceResourceType,
  );
  for (const binding of bindings.items) {
    if ((binding.spec.service.name ?? '') !== guid) continue;
    const bindingRef = { kind: 'CFServiceBinding' as const, namespace: ref.namespace, name: binding.metadata.name };
    await context.user.delete(bindingRef).catch((error: unknown) => {
      if (!isStoreError(error, 'NotFound')) throw apiErrorOf(error, serviceInstanceResourceType);
    });
    await waitUntilGone(context, bindingRef);
  }
  try {
    await context.user.delete(ref);
  } catch (error) {
    if (!isStoreError(error, 'NotFound')) throw apiErrorOf(error, serviceInstanceResourceType);
  }
  // Freed now rather than when a cluster's garbage collector gets to the claim the instance owned.
  await releaseClaim(context.server, serviceInstanceNameClaim(ref.namespace, guid, instance.spec.displayName));
}
