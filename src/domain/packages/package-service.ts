import { randomUUID } from 'node:crypto';
import { notAuthorized, serviceUnavailable, unprocessableEntity, type ApiError } from '../../errors/api-error.ts';
import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { isConditionTrue } from '../../reconcilers/workloads/conditions.ts';
import { isStoreError } from '../../store/errors.ts';
import { apiVersionOf, kinds } from '../../store/kinds.ts';
import type { NewObject, StoredObject } from '../../store/objects.ts';
import type { Ref } from '../../store/port.ts';
import { getApp, type App } from '../apps/app-service.ts';
import { metadataOfCreate, metadataPatchOf } from '../metadata-writes.ts';
import type { RequestContext } from '../request-context.ts';
import { getVisibleByGuid, listInVisibleSpaces } from '../space-scoped.ts';
import { apiErrorOf, asCfError, mayI, referenced } from '../store-failures.ts';
import { packageState } from '../../presenters/package.ts';
import { isUploading } from './upload-claim.ts';

export type Package = StoredObject<'CFPackage'>;

export const packageResourceType = 'Package';

export type PackageFilters = {
  guids?: readonly string[];
  appGuids?: readonly string[];
  spaceGuids?: readonly string[];
  organizationGuids?: readonly string[];
  states?: readonly string[];
  types?: readonly string[];
  labelSelector?: LabelSelector;
};

type MetadataCreate = { labels?: Record<string, string>; annotations?: Record<string, string> };
type MetadataUpdate = { labels?: Record<string, string | null>; annotations?: Record<string, string | null> };

export type PackageCreate = {
  type: 'bits' | 'docker';
  appGuid: string;
  data?: { image?: string | undefined; username?: string | null | undefined; password?: string | null | undefined } | null | undefined;
  metadata?: MetadataCreate | null | undefined;
};

/** Korifi's answer when the app of a new package cannot be found or read. */
const invalidApp = (): ApiError => unprocessableEntity('App is invalid. Ensure it exists and you have access to it.');

/** The reference to a package, in its space's namespace. */
export const packageRef = (cfPackage: Package): Ref<'CFPackage'> => ({
  kind: 'CFPackage',
  namespace: cfPackage.metadata.namespace ?? '',
  name: cfPackage.metadata.name,
});

/** Whether the package can still take bits: a bits package whose source is not set (Korifi: not Ready). */
export function isAwaitingUpload(cfPackage: Package): boolean {
  return (cfPackage.spec.source?.registry.image ?? '') === '' && !isConditionTrue(cfPackage.status?.conditions, 'Ready');
}

/** Packages of the spaces the caller sees, read as the caller one space at a time. */
export async function listPackages(context: RequestContext, filters: PackageFilters): Promise<Package[]> {
  const packages = await listInVisibleSpaces(context, 'CFPackage', filters, packageResourceType);
  const now = Date.now();
  return packages.filter((cfPackage) => matchesPackageFilters(cfPackage, filters, now));
}

function matchesPackageFilters(cfPackage: Package, filters: PackageFilters, now: number): boolean {
  if (filters.guids && !filters.guids.includes(cfPackage.metadata.name)) return false;
  if (filters.appGuids && !filters.appGuids.includes(cfPackage.spec.appRef.name)) return false;
  if (filters.types && !filters.types.includes(cfPackage.spec.type)) return false;
  if (filters.states && !filters.states.includes(packageState(cfPackage, { uploading: isUploading(cfPackage, now) }))) return false;
  return !filters.labelSelector || matchesLabelSelector(filters.labelSelector, cfPackage.metadata.labels ?? {});
}

/** The package, read as the caller; 404 when it does not exist or they may not read it. */
export function getPackage(context: RequestContext, guid: string): Promise<Package> {
  return getVisibleByGuid(context, 'CFPackage', guid, packageResourceType);
}

/**
 * Creates a package as the caller, as Korifi stores it: a CFPackage named by a new GUID in the app's
 * namespace, owned by the app (so it goes with it); a docker package has its image as its source at
 * once, and registry credentials become a docker config Secret named after the package and owned by it.
 * Waits until the package controller has initialised it.
 */
export async function createPackage(context: RequestContext, request: PackageCreate): Promise<Package> {
  const app = await referenced(getApp(context, request.appGuid), invalidApp);
  checkTypeAndData(request, app);
  const guid = randomUUID();
  const namespace = app.metadata.namespace ?? '';
  const credentials = registryCredentialsOf(request);
  const cfPackage: NewObject<'CFPackage'> = {
    kind: 'CFPackage',
    metadata: {
      name: guid,
      namespace,
      ...metadataOfCreate(request.metadata ?? undefined),
      ownerReferences: [
        { apiVersion: apiVersionOf(kinds.CFApp), kind: 'CFApp', name: app.metadata.name, uid: app.metadata.uid ?? '', controller: true },
      ],
    },
    spec: {
      type: request.type,
      appRef: { name: app.metadata.name },
      source: {
        registry: {
          image: request.type === 'docker' ? (request.data?.image ?? '') : '',
          ...(credentials ? { imagePullSecrets: [{ name: guid }] } : {}),
        },
      },
    },
  };
  const created = await asCfError(context.user.create(cfPackage), packageResourceType);
  if (credentials) await createPullSecret(context, created, credentials);
  return waitForCondition(context, created, 'Initialized');
}

type RegistryCredentials = { image: string; username: string; password: string };

/** A docker package's registry credentials, when it has both a user name and a password (Korifi's rule). */
function registryCredentialsOf(request: PackageCreate): RegistryCredentials | undefined {
  const data = request.data;
  if (request.type !== 'docker' || !data?.image || typeof data.username !== 'string' || typeof data.password !== 'string') return undefined;
  return { image: data.image, username: data.username, password: data.password };
}

/** Writes the package's pull secret as the caller; a package whose Secret could not be written goes again (nothing half-made). */
async function createPullSecret(context: RequestContext, created: Package, credentials: RegistryCredentials): Promise<void> {
  try {
    await context.user.create(imagePullSecret(created, credentials));
  } catch (error) {
    await context.server.delete(packageRef(created)).catch(() => undefined);
    throw apiErrorOf(error, packageResourceType);
  }
}

/** The package type must match the app's lifecycle, and a docker package names its image. */
function checkTypeAndData(request: PackageCreate, app: App): void {
  const lifecycle = app.spec.lifecycle.type;
  const wanted = lifecycle === 'docker' ? 'docker' : 'bits';
  if (request.type !== wanted) throw unprocessableEntity(`cannot create ${request.type} package for a ${lifecycle} app`);
  const data = request.data ?? {};
  if (request.type === 'docker' && !data.image) throw unprocessableEntity('data.image must be present for a docker package');
  if (request.type === 'bits' && Object.values(data).some((value) => value !== undefined && value !== null))
    throw unprocessableEntity('data must be empty for a bits package');
}

/** A `kubernetes.io/dockerconfigjson` Secret with the credentials for the image's registry, owned by the package. */
function imagePullSecret(cfPackage: Package, { image, username, password }: RegistryCredentials): NewObject<'Secret'> {
  const config = {
    auths: { [registryOf(image)]: { username, password, auth: Buffer.from(`${username}:${password}`).toString('base64') } },
  };
  return {
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: {
      name: cfPackage.metadata.name,
      namespace: cfPackage.metadata.namespace ?? '',
      ownerReferences: [
        { apiVersion: apiVersionOf(kinds.CFPackage), kind: 'CFPackage', name: cfPackage.metadata.name, uid: cfPackage.metadata.uid ?? '' },
      ],
    },
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64') },
  };
}

/** The registry host of an image reference, as Docker reads it (Docker Hub when the first part is no host). */
function registryOf(image: string): string {
  const slash = image.indexOf('/');
  const first = slash >= 0 ? image.slice(0, slash) : '';
  const isHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? first : 'https://index.docker.io/v1/';
}

/**
 * Changes the package's labels and annotations as the caller. Asked first: a patch that changes
 * nothing writes nothing, but only a caller who may change the package is answered 200.
 */
export async function updatePackage(context: RequestContext, guid: string, metadata: MetadataUpdate | null | undefined): Promise<Package> {
  const cfPackage = await getPackage(context, guid);
  if (!(await mayI(context, 'patch', packageRef(cfPackage), packageResourceType))) throw notAuthorized();
  return asCfError(context.user.patch(packageRef(cfPackage), { metadata: metadataPatchOf(metadata ?? undefined) }), packageResourceType);
}

/**
 * Waits, as the caller, until the package controller reports the condition for the package's current
 * generation (Korifi's API waits so after create and upload); 503 with what did not happen after
 * `readyTimeoutSeconds`.
 */
export async function waitForCondition(context: RequestContext, cfPackage: Package, type: 'Initialized' | 'Ready'): Promise<Package> {
  const timeoutSeconds = context.config.readyTimeoutSeconds;
  try {
    return await context.user.waitFor(
      packageRef(cfPackage),
      (current) =>
        (current.status?.conditions ?? []).some(
          (condition) =>
            condition.type === type && condition.status === 'True' && condition.observedGeneration === current.metadata.generation,
        ),
      { timeoutMs: timeoutSeconds * 1000 },
    );
  } catch (error) {
    if (!isStoreError(error, 'Timeout')) throw apiErrorOf(error, packageResourceType);
    throw serviceUnavailable(
      `Package ${cfPackage.metadata.name} did not become ${type === 'Ready' ? 'ready' : 'initialized'} within ${timeoutSeconds} seconds. ` +
        'Check that its controller (Korifi, or this server with reconcilers enabled) is running.',
    );
  }
}
