import { randomUUID } from 'node:crypto';
import { notAuthorized, unprocessableEntity, uniquenessError, type ApiError } from '../../errors/api-error.ts';
import { isStoreError } from '../../store/errors.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import type { RouteDestination } from '../../store/korifi-types.ts';
import { getIfExists } from '../../store/lookups.ts';
import type { NewObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { isAddressableName } from '../../store/refs.ts';
import { getDomain, type Domain } from '../domains/domain-service.ts';
import { deleteAsCallerThenAnnotateAsServer } from '../jobs/deletion.ts';
import { metadataOfCreate, metadataPatchOf } from '../metadata-writes.ts';
import type { RequestContext } from '../request-context.ts';
import { apiErrorOf, asCfError, mayI, referenced } from '../store-failures.ts';
import { invalidSpace } from '../tenancy/reference-errors.ts';
import { getSpace } from '../tenancy/space-service.ts';
import { createRouteClaimed, releaseRouteClaim, type RouteClaim } from './route-claims.ts';
import { domainGuidOf, getRoute, routeResourceType, type Route, type RouteWithDomain } from './route-reads.ts';
import { invalidHostOrDomain, invalidPath } from './route-validation.ts';

/** Korifi's annotation of a CFRoute's destination app GUIDs (one per line), which its webhook keeps and kubectl shows. */
export const appGuidsAnnotation = label('app-guids');

export type RouteCreate = {
  host?: string | undefined;
  path?: string | undefined;
  spaceGuid: string;
  domainGuid: string;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined;
};

export type DestinationRequest = {
  appGuid: string;
  processType?: string | undefined;
  port?: number | undefined;
  protocol?: string | undefined;
};

const invalidDomain = (): ApiError => unprocessableEntity('Invalid domain. Ensure that the domain exists and you have access to it.');

/** Korifi's (and CF's) answer to a route that exists already; the cf CLI recognises its start. */
export const duplicateRoute = (host: string, path: string, domainName: string): ApiError =>
  uniquenessError(`Route already exists with host '${host}'${path === '' ? '' : ` and path '${path}'`} for domain '${domainName}'.`);

const routeRef = (route: Route) => ({ kind: 'CFRoute' as const, namespace: route.metadata.namespace ?? '', name: route.metadata.name });

/** The distinct destination app GUIDs, one per line, as Korifi's webhook writes them. */
export const appGuidsOf = (destinations: readonly RouteDestination[]): string =>
  [...new Set(destinations.map((destination) => destination.appRef.name))].join('\n');

/** A merge patch that sets a route's destinations and keeps the `app-guids` annotation in step with them. */
export const destinationsPatch = (destinations: readonly RouteDestination[]) => ({
  metadata: { annotations: { [appGuidsAnnotation]: appGuidsOf(destinations) } },
  spec: { destinations: [...destinations] },
});

/** The claim of a route's key (for freeing it; the domain's uid is only needed to claim). */
export const routeClaimOf = (context: RequestContext, route: Route): RouteClaim => ({
  rootNamespace: context.config.rootNamespace,
  host: route.spec.host ?? '',
  domainGuid: domainGuidOf(route),
  path: route.spec.path ?? '',
  holder: route.metadata.name,
  holderNamespace: route.metadata.namespace ?? '',
});

/**
 * Creates a route without destinations as the caller (RBAC decides, asked before anything about the
 * domain or the route's uniqueness is told), after Korifi's webhook validations, with its key claimed
 * across the platform first.
 */
export async function createRoute(context: RequestContext, request: RouteCreate): Promise<RouteWithDomain> {
  if (request.host === undefined) throw unprocessableEntity('Missing host. Routes in shared domains must have a host defined.');
  const space = await referenced(getSpace(context, request.spaceGuid), invalidSpace);
  if (space.metadata.deletionTimestamp !== undefined) throw invalidSpace();
  const namespace = space.metadata.name;
  if (!(await mayI(context, 'create', { kind: 'CFRoute', namespace }, routeResourceType))) throw notAuthorized();
  const domain: Domain = await referenced(getDomain(context, request.domainGuid), invalidDomain);
  const host = request.host;
  const path = request.path ?? '';
  const refusal = invalidHostOrDomain(host, domain.spec.name) ?? invalidPath(path);
  if (refusal !== undefined) throw unprocessableEntity(refusal);
  const guid = randomUUID();
  const metadata = metadataOfCreate(request.metadata);
  const route: NewObject<'CFRoute'> = {
    kind: 'CFRoute',
    metadata: { name: guid, namespace, ...metadata, annotations: { ...metadata.annotations, [appGuidsAnnotation]: '' } },
    spec: {
      host,
      path,
      protocol: 'http',
      domainRef: { name: domain.metadata.name, namespace: context.config.rootNamespace },
    },
  };
  const claim: RouteClaim = {
    rootNamespace: context.config.rootNamespace,
    host,
    domainGuid: domain.metadata.name,
    domainUid: domain.metadata.uid ?? '',
    path,
    holder: guid,
    holderNamespace: namespace,
  };
  const created = await asCfError(
    createRouteClaimed(context.server, claim, () => context.user.create(route)),
    routeResourceType,
  );
  if (created === undefined) throw duplicateRoute(host, path, domain.spec.name);
  return { route: created, domain };
}

/** Changes a route's labels and annotations as the caller; its host, path and domain are fixed. */
export async function updateRouteMetadata(
  context: RequestContext,
  guid: string,
  metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } | undefined,
): Promise<RouteWithDomain> {
  const { route, domain } = await getRoute(context, guid);
  // Asked first: a patch that changes nothing writes nothing, but only a caller who may change the route is answered 200.
  if (!(await mayI(context, 'patch', routeRef(route), routeResourceType))) throw notAuthorized();
  const updated = await asCfError(context.user.patch(routeRef(route), { metadata: metadataPatchOf(metadata) }), routeResourceType);
  return { route: updated, domain };
}

/** Starts the deletion of a route (as the caller) and frees its key. */
export async function deleteRoute(context: RequestContext, guid: string): Promise<void> {
  const { route } = await getRoute(context, guid);
  await deleteAsCallerThenAnnotateAsServer(context, routeRef(route), routeResourceType);
  await releaseRouteClaim(context.server, routeClaimOf(context, route));
}

/** Writers of one route's destinations (and the route controller's status writes) take turns; each turn reads again. */
const maxDestinationAttempts = 10;

/** Korifi's answer to a destination whose app is not in the route's space. */
const destinationNotInSpace = (): ApiError => unprocessableEntity('Route destination app not found in space');

const sameDestination = (a: RouteDestination, b: RouteDestination): boolean =>
  a.appRef.name === b.appRef.name &&
  a.processType === b.processType &&
  a.port === b.port &&
  (a.protocol ?? 'http1') === (b.protocol ?? 'http1');

/**
 * Adds destinations to a route as the caller, keeping the ones it has; one equal to a destination the
 * route already has (app, process type, port, protocol) is skipped. Each app must be in the route's
 * space. Written against the version read, again from a fresh read when another write came first.
 */
export async function insertRouteDestinations(
  context: RequestContext,
  guid: string,
  requested: readonly DestinationRequest[],
): Promise<RouteWithDomain> {
  for (const destination of requested) {
    if (destination.protocol !== undefined && destination.protocol !== 'http1')
      throw unprocessableEntity(`Destination protocol '${destination.protocol}' is not supported; only 'http1' is.`);
  }
  return changingDestinations(context, guid, async (route) => {
    const namespace = route.metadata.namespace ?? '';
    const appGuids = [...new Set(requested.map((destination) => destination.appGuid))];
    for (const appGuid of appGuids) {
      if ((await getIfExists(context.server, { kind: 'CFApp', namespace, name: appGuid })) === undefined) throw destinationNotInSpace();
    }
    const destinations = [...(route.spec.destinations ?? [])];
    for (const request of requested) {
      const candidate: RouteDestination = {
        guid: randomUUID(),
        appRef: { name: request.appGuid },
        processType: request.processType ?? 'web',
        ...(request.port === undefined ? {} : { port: request.port }),
        ...(request.protocol === undefined ? {} : { protocol: 'http1' as const }),
      };
      if (!destinations.some((existing) => sameDestination(existing, candidate))) destinations.push(candidate);
    }
    return destinations;
  });
}

/** Removes one destination from a route as the caller; a destination it does not have is Korifi's 422. */
export async function deleteRouteDestination(context: RequestContext, guid: string, destinationGuid: string): Promise<void> {
  await changingDestinations(context, guid, (route) => {
    const destinations = route.spec.destinations ?? [];
    if (!destinations.some((destination) => destination.guid === destinationGuid))
      throw unprocessableEntity('Unable to unmap route from destination. Ensure the route has a destination with this guid.');
    return Promise.resolve(destinations.filter((destination) => destination.guid !== destinationGuid));
  });
}

async function changingDestinations(
  context: RequestContext,
  guid: string,
  change: (route: Route) => Promise<RouteDestination[]>,
): Promise<RouteWithDomain> {
  for (let attempt = 1; ; attempt++) {
    const { route, domain } = await getRoute(context, guid);
    if (!(await mayI(context, 'patch', routeRef(route), routeResourceType))) throw notAuthorized();
    const destinations = await change(route);
    try {
      const updated = await context.user.patch(routeRef(route), destinationsPatch(destinations), {
        resourceVersion: route.metadata.resourceVersion ?? '',
      });
      return { route: updated, domain };
    } catch (error) {
      if (!isStoreError(error, 'Conflict') || attempt >= maxDestinationAttempts) throw apiErrorOf(error, routeResourceType);
      // Writers that keep meeting spread out.
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/**
 * Deletes every route of the space without destinations (or whose apps are all gone), as the caller
 * (`cf delete-orphaned-routes`).
 * Only `unmapped=true` is supported, as in Korifi and CF.
 */
export async function deleteUnmappedRoutes(context: RequestContext, spaceGuid: string, unmapped: boolean): Promise<void> {
  if (!unmapped)
    throw unprocessableEntity("mass delete not supported for mapped routes. Use 'unmapped=true' parameter to delete all unmapped routes");
  const space = await getSpace(context, spaceGuid);
  const namespace = space.metadata.name;
  if (!(await mayI(context, 'delete', { kind: 'CFRoute', namespace }, routeResourceType))) throw notAuthorized();
  const routes = await asCfError(context.user.list('CFRoute', { namespace }), routeResourceType);
  const liveApps = await liveAppsOf(context.server, namespace);
  for (const route of routes.items) {
    if (await deleteIfStillUnmapped(context, route, liveApps)) await releaseRouteClaim(context.server, routeClaimOf(context, route));
  }
}

/**
 * The apps of the namespace that are not being deleted (read as the server). A destination of an app that
 * is gone counts as none: the route controller removes it soon, but `cf delete APP` then
 * `cf delete-orphaned-routes` must not depend on how soon.
 */
async function liveAppsOf(server: StoreSession, namespace: string): Promise<ReadonlySet<string>> {
  const apps = await server.list('CFApp', { namespace, readOnly: true });
  return new Set(apps.items.filter((app) => app.metadata.deletionTimestamp === undefined).map((app) => app.metadata.name));
}

const isUnmapped = (route: Route, liveApps: ReadonlySet<string>): boolean =>
  (route.spec.destinations ?? []).every((destination) => !liveApps.has(destination.appRef.name)) &&
  route.metadata.deletionTimestamp === undefined;

/**
 * Deletes the route as the caller if it has no destinations to a live app, guarded by the version read: a
 * route mapped meanwhile stays. Another change (the route controller's status) only means reading it again.
 */
async function deleteIfStillUnmapped(context: RequestContext, listed: Route, liveApps: ReadonlySet<string>): Promise<boolean> {
  let route: Route | undefined = listed;
  for (let attempt = 1; route !== undefined && isUnmapped(route, liveApps); attempt++) {
    try {
      await context.user.delete(routeRef(route), { resourceVersion: route.metadata.resourceVersion ?? '' });
      return true;
    } catch (error) {
      if (isStoreError(error, 'NotFound')) return false;
      if (!isStoreError(error, 'Conflict') || attempt >= maxDestinationAttempts) throw apiErrorOf(error, routeResourceType);
    }
    route = await asCfError(getIfExists(context.user, routeRef(route)), routeResourceType);
  }
  return false;
}

/** An unmapped route of the space still being deleted (read as the server), which keeps its job PROCESSING. */
export async function findUnmappedRouteBeingDeleted(server: StoreSession, spaceGuid: string): Promise<Route | undefined> {
  if (!isAddressableName(spaceGuid)) return undefined;
  const routes = await server.list('CFRoute', {
    namespace: spaceGuid,
    labelSelector: [{ key: label('unmapped'), operator: 'equals', value: 'true' }],
  });
  return routes.items.find((route) => route.metadata.deletionTimestamp !== undefined);
}

/** The route with this GUID, wherever it is (read as the server, for its deletion job). */
export async function findRoute(server: StoreSession, guid: string): Promise<Route | undefined> {
  return (await server.list('CFRoute', { name: guid })).items[0];
}
