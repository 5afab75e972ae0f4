import { randomUUID } from 'node:crypto';
import { notAuthorized, uniquenessError, type ApiError } from '../../errors/api-error.ts';
import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { apiVersionOf, kinds } from '../../store/kinds.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import type { NewObject, StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { deleteAsCallerThenAnnotateAsServer } from '../jobs/deletion.ts';
import { metadataOfCreate } from '../metadata-writes.ts';
import { createClaimed, type NameClaim } from '../names/name-claims.ts';
import type { RequestContext } from '../request-context.ts';
import { asCfError, mayI, referenced } from '../store-failures.ts';
import { invalidSpace } from '../tenancy/reference-errors.ts';
import { getVisibleByGuid, getVisibleByGuidReadOnly, listInVisibleSpaces } from '../space-scoped.ts';
import { getSpace } from '../tenancy/space-service.ts';
import { storedLifecycle, type LifecycleRequest } from './app-lifecycle.ts';

export type App = StoredObject<'CFApp'>;

export type AppFilters = {
  names?: readonly string[];
  guids?: readonly string[];
  spaceGuids?: readonly string[];
  organizationGuids?: readonly string[];
  labelSelector?: LabelSelector;
};

export type AppCreate = {
  name: string;
  spaceGuid: string;
  environmentVariables?: Record<string, string> | undefined;
  lifecycle?: LifecycleRequest | undefined;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
};

export const appResourceType = 'App';

/** Korifi's answer to a name already used in the space (its validating webhook's wording). */
export const duplicateApp = (name: string): ApiError => uniquenessError(`App with the name '${name}' already exists.`);

/** App names are unique per space: claimed in the space's namespace, in any letter case. */
export const appNameClaim = (namespace: string, holder: string, name: string): NameClaim => ({
  namespace,
  entityType: 'cfapp',
  name,
  holderKind: 'CFApp',
  holder,
});

/** The Secret that holds an app's user-provided environment variables. */
export const envSecretNameOf = (guid: string): string => `${guid}-env`;

/** The space an app belongs to: the namespace it lives in. */
export const spaceGuidOf = (app: App): string => app.metadata.namespace ?? '';

const appRef = (app: App) => ({ kind: 'CFApp' as const, namespace: spaceGuidOf(app), name: app.metadata.name });

/** Apps: CFApps in their space's namespace, read as the caller one visible space at a time. */
export async function listApps(context: RequestContext, filters: AppFilters): Promise<App[]> {
  const apps = await listInVisibleSpaces(context, 'CFApp', filters, appResourceType);
  const filtered = filters.names !== undefined || filters.guids !== undefined || filters.labelSelector !== undefined;
  return filtered ? apps.filter((app) => matchesAppFilters(app, filters)) : apps;
}

function matchesAppFilters(app: App, filters: AppFilters): boolean {
  if (filters.names && !filters.names.includes(app.spec.displayName)) return false;
  if (filters.guids && !filters.guids.includes(app.metadata.name)) return false;
  return !filters.labelSelector || matchesLabelSelector(filters.labelSelector, app.metadata.labels ?? {});
}

/**
 * The app, read as the caller; 404 when it does not exist or they may not read it. With `readOnly` it
 * may be the store's shared, frozen object (for callers that only present it).
 */
export function getApp(context: RequestContext, guid: string, options: { readOnly?: boolean } = {}): Promise<App> {
  return (options.readOnly === true ? getVisibleByGuidReadOnly : getVisibleByGuid)(context, 'CFApp', guid, appResourceType);
}

/** The app with this GUID, wherever it is (read as the server, for its deletion job). */
export async function findApp(server: StoreSession, guid: string): Promise<App | undefined> {
  return (await server.list('CFApp', { name: guid })).items[0];
}

/**
 * Creates a STOPPED app and its environment Secret as the caller, with the app's name claimed in its
 * space first. The Secret is owned by the app, so it needs the app's uid: they are written one after the
 * other, and an app whose Secret could not be written is deleted again (as the server: the caller may
 * create apps without being allowed to delete what they made).
 */
export async function createApp(context: RequestContext, request: AppCreate): Promise<App> {
  const space = await referenced(getSpace(context, request.spaceGuid), invalidSpace);
  if (space.metadata.deletionTimestamp !== undefined) throw invalidSpace();
  const namespace = space.metadata.name;
  // Asked first, so that whether a name is taken is never told to someone who may not create here.
  if (!(await mayI(context, 'create', { kind: 'CFApp', namespace }, appResourceType))) throw notAuthorized();
  const guid = randomUUID();
  const app: NewObject<'CFApp'> = {
    kind: 'CFApp',
    metadata: { name: guid, namespace, ...withAppRevision(metadataOfCreate(request.metadata)) },
    spec: {
      displayName: request.name,
      desiredState: 'STOPPED',
      lifecycle: storedLifecycle(request.lifecycle),
      envSecretName: envSecretNameOf(guid),
    },
  };
  const claim = appNameClaim(namespace, guid, request.name);
  const created = await asCfError(
    createClaimed(context.server, claim, () => createWithEnvironment(context, app, request.environmentVariables ?? {})),
    appResourceType,
  );
  if (created === undefined) throw duplicateApp(request.name);
  return created;
}

/** Korifi's defaulting webhook starts every app at revision 0 (bumped on each stop). */
function withAppRevision(metadata: ReturnType<typeof metadataOfCreate>) {
  return { ...metadata, annotations: { ...metadata.annotations, [label('app-rev')]: '0' } };
}

async function createWithEnvironment(context: RequestContext, app: NewObject<'CFApp'>, env: Record<string, string>): Promise<App> {
  const created = await context.user.create(app);
  try {
    await context.user.create(environmentSecret(created, env));
  } catch (error) {
    await context.server.delete(appRef(created)).catch(() => undefined);
    throw error;
  }
  return created;
}

function environmentSecret(app: App, env: Record<string, string>): NewObject<'Secret'> {
  return {
    kind: 'Secret',
    metadata: {
      name: app.spec.envSecretName ?? envSecretNameOf(app.metadata.name),
      namespace: spaceGuidOf(app),
      labels: { [label('app-guid')]: app.metadata.name },
      ownerReferences: [{ apiVersion: apiVersionOf(kinds.CFApp), kind: 'CFApp', name: app.metadata.name, uid: app.metadata.uid ?? '' }],
    },
    stringData: { ...env },
  };
}

/** Starts the deletion; the app's Secret (and later its processes, packages, builds) go with it. */
export async function deleteApp(context: RequestContext, guid: string): Promise<void> {
  const app = await getApp(context, guid);
  await deleteAsCallerThenAnnotateAsServer(context, appRef(app), appResourceType);
}
