import { ApiError, notAuthorized, resourceNotFound, serviceUnavailable, unprocessableEntity } from '../../errors/api-error.ts';
import type { LabelSelector } from '../../labels/selector.ts';
import { isStoreError } from '../../store/errors.ts';
import type { StoredObject } from '../../store/objects.ts';
import { getApp, spaceGuidOf, type App } from '../apps/app-service.ts';
import { buildResourceType, buildStateOf, listBuilds, type Build, type MetadataUpdate } from '../builds/build-service.ts';
import { metadataPatchOf } from '../metadata-writes.ts';
import type { RequestContext } from '../request-context.ts';
import { getVisibleByGuid } from '../space-scoped.ts';
import { apiErrorOf, asCfError, mayI } from '../store-failures.ts';

/** A droplet is a staged build: same object, same GUID. */
export type Droplet = Build;

export const dropletResourceType = 'Droplet';

export type DropletFilters = {
  guids?: readonly string[];
  /** CF's droplet states; only STAGED ones exist here, so a filter without STAGED matches nothing. */
  states?: readonly string[];
  appGuids?: readonly string[];
  packageGuids?: readonly string[];
  spaceGuids?: readonly string[];
  organizationGuids?: readonly string[];
  labelSelector?: LabelSelector;
};

/** The exact text the cf CLI accepts for an app without a droplet (`cf app`, `cf push`). */
export const noCurrentDroplet = (): ApiError =>
  new ApiError({ status: 404, code: 10010, title: 'CF-ResourceNotFound', detail: 'Droplet not found' });

const unassignable = () => unprocessableEntity('Unable to assign current droplet. Ensure the droplet exists and belongs to this app.');

export const isDroplet = (build: Build): boolean => buildStateOf(build) === 'STAGED';

/** Droplets in the spaces the caller sees: their staged builds. */
export async function listDroplets(context: RequestContext, filters: DropletFilters): Promise<Droplet[]> {
  if (filters.states && !filters.states.includes('STAGED')) return [];
  return (await listBuilds(context, { ...filters, states: ['STAGED'] })).filter(isDroplet);
}

/** An app's droplets; 404 when the caller may not see the app. */
export async function listAppDroplets(context: RequestContext, appGuid: string, filters: DropletFilters): Promise<Droplet[]> {
  const app = await getApp(context, appGuid);
  return listDroplets(context, { ...filters, appGuids: [app.metadata.name], spaceGuids: [spaceGuidOf(app)] });
}

/** The droplets staged from a package; 404 when the caller may not see the package. */
export async function listPackageDroplets(context: RequestContext, packageGuid: string, filters: DropletFilters): Promise<Droplet[]> {
  const cfPackage = await getVisibleByGuid(context, 'CFPackage', packageGuid, 'Package');
  const spaceGuid = cfPackage.metadata.namespace ?? '';
  return listDroplets(context, { ...filters, packageGuids: [packageGuid], spaceGuids: [spaceGuid] });
}

/** The droplet, read as the caller; a build that is not staged is not a droplet (404). */
export async function getDroplet(context: RequestContext, guid: string): Promise<Droplet> {
  const build = await getVisibleByGuid(context, 'CFBuild', guid, dropletResourceType);
  if (!isDroplet(build)) throw resourceNotFound(dropletResourceType);
  return build;
}

/**
 * Changes a droplet's labels and annotations as the caller. Asked first: a patch that changes nothing
 * writes nothing, but only a caller who may change the droplet is answered 200.
 */
export async function updateDroplet(context: RequestContext, guid: string, metadata: MetadataUpdate | null | undefined): Promise<Droplet> {
  const droplet = await getDroplet(context, guid);
  const ref = { kind: 'CFBuild' as const, namespace: droplet.metadata.namespace ?? '', name: droplet.metadata.name };
  if (!(await mayI(context, 'patch', ref, dropletResourceType))) throw notAuthorized();
  return asCfError(context.user.patch(ref, { metadata: metadataPatchOf(metadata ?? undefined) }), dropletResourceType);
}

/** The droplet the app runs; 404 `Droplet not found` when it has none (or it is gone or not visible). */
export async function getCurrentDroplet(context: RequestContext, appGuid: string): Promise<{ app: App; droplet: Droplet }> {
  const app = await getApp(context, appGuid);
  const guid = app.spec.currentDropletRef?.name ?? '';
  if (guid === '') throw noCurrentDroplet();
  const droplet = await context.user.get({ kind: 'CFBuild', namespace: spaceGuidOf(app), name: guid }).catch((error: unknown) => {
    if (isStoreError(error, 'NotFound') || isStoreError(error, 'Forbidden')) return undefined;
    throw apiErrorOf(error, dropletResourceType);
  });
  if (droplet === undefined || !isDroplet(droplet)) throw noCurrentDroplet();
  return { app, droplet };
}

/** The GUID of the droplet the app runs; 404 `Droplet not found` when it has none. */
export async function getCurrentDropletGuid(context: RequestContext, appGuid: string): Promise<string> {
  const app = await getApp(context, appGuid);
  const guid = app.spec.currentDropletRef?.name ?? '';
  if (guid === '') throw noCurrentDroplet();
  return guid;
}

/**
 * Makes a staged droplet of this app the one it runs, as the caller, then waits as Korifi does until
 * the app's controller reports the app Ready for that change. Only apps a controller already reports
 * on (a Ready condition is there) are waited for: where no app controller runs, nothing would ever
 * answer, and the relationship is set all the same.
 */
export async function setCurrentDroplet(context: RequestContext, appGuid: string, dropletGuid: string): Promise<App> {
  const app = await getApp(context, appGuid);
  const ref = { kind: 'CFApp' as const, namespace: spaceGuidOf(app), name: app.metadata.name };
  if (!(await mayI(context, 'patch', ref, 'App'))) throw notAuthorized();
  const droplet = await getVisibleByGuid(context, 'CFBuild', dropletGuid, buildResourceType).catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  });
  if (droplet === undefined || !isDroplet(droplet) || droplet.spec.appRef.name !== app.metadata.name) throw unassignable();
  if (droplet.metadata.namespace !== app.metadata.namespace) throw unassignable();
  const updated = await asCfError(context.user.patch(ref, { spec: { currentDropletRef: { name: dropletGuid } } }), 'App');
  if (!hasReadyCondition(app)) return updated;
  return waitUntilAppReady(context, updated);
}

const readyConditionOf = (app: App) => app.status?.conditions?.find((condition) => condition.type === 'Ready');
const hasReadyCondition = (app: App): boolean => readyConditionOf(app) !== undefined;

async function waitUntilAppReady(context: RequestContext, app: App): Promise<App> {
  const generation = app.metadata.generation ?? 0;
  const timeoutSeconds = context.config.readyTimeoutSeconds;
  const ref = { kind: 'CFApp' as const, namespace: spaceGuidOf(app), name: app.metadata.name };
  const ready = (current: StoredObject<'CFApp'>) => {
    const condition = readyConditionOf(current);
    return condition?.status === 'True' && (condition.observedGeneration ?? 0) >= generation;
  };
  try {
    // As the server: the caller has just been allowed to change the app, and may lack `watch` (a space supporter).
    return await context.server.waitFor(ref, ready, { timeoutMs: timeoutSeconds * 1000 });
  } catch (error) {
    if (!isStoreError(error, 'Timeout')) throw apiErrorOf(error, 'App');
    throw serviceUnavailable(
      `The app's current droplet was set but the app did not become ready within ${timeoutSeconds} seconds. ` +
        'Check that its controller (Korifi, or this server with reconcilers enabled) is running.',
    );
  }
}
