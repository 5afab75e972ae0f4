import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import type { StoredObject } from '../../store/objects.ts';
import { getApp } from '../apps/app-service.ts';
import { listDomains, type Domain } from '../domains/domain-service.ts';
import type { RequestContext } from '../request-context.ts';
import { getVisibleByGuid, listInVisibleSpaces } from '../space-scoped.ts';

export type Route = StoredObject<'CFRoute'>;

/** A route with the domain it lives on (undefined when the caller cannot read it, or it is gone). */
export type RouteWithDomain = { route: Route; domain: Domain | undefined };

export type RouteFilters = {
  guids?: readonly string[];
  appGuids?: readonly string[];
  spaceGuids?: readonly string[];
  organizationGuids?: readonly string[];
  domainGuids?: readonly string[];
  hosts?: readonly string[];
  paths?: readonly string[];
  ports?: readonly number[];
  labelSelector?: LabelSelector;
};

export const routeResourceType = 'Route';

export const domainGuidOf = (route: Route): string => route.spec.domainRef.name ?? '';

/** The app GUIDs a route sends traffic to (its destinations). */
export const destinationAppGuidsOf = (route: Route): string[] =>
  (route.spec.destinations ?? []).map((destination) => destination.appRef.name);

/** Routes: CFRoutes in their space's namespace, read as the caller one visible space at a time. */
export async function listRoutes(context: RequestContext, filters: RouteFilters): Promise<RouteWithDomain[]> {
  return withDomains(context, await listRouteObjects(context, filters));
}

/** The routes `listRoutes` finds, without their domains: for a list that pages first and joins domains to its page only. */
export async function listRouteObjects(context: RequestContext, filters: RouteFilters): Promise<Route[]> {
  const routes = await listInVisibleSpaces(context, 'CFRoute', filters, routeResourceType);
  const { guids, appGuids, domainGuids, hosts, paths, ports, labelSelector } = filters;
  const filtered = [guids, appGuids, domainGuids, hosts, paths, ports, labelSelector].some((filter) => filter !== undefined);
  return filtered ? routes.filter((route) => matchesRouteFilters(route, filters)) : routes;
}

function matchesRouteFilters(route: Route, filters: RouteFilters): boolean {
  const { spec, metadata } = route;
  const among = (values: readonly string[] | undefined, value: string) => values === undefined || values.includes(value);
  // HTTP routes have no port: any port filter matches none of them.
  if (filters.ports !== undefined && filters.ports.length > 0) return false;
  if (!sendsToAny(route, filters.appGuids)) return false;
  return (
    among(filters.guids, metadata.name) &&
    among(filters.domainGuids, domainGuidOf(route)) &&
    among(filters.hosts, spec.host ?? '') &&
    among(filters.paths, spec.path ?? '') &&
    (!filters.labelSelector || matchesLabelSelector(filters.labelSelector, metadata.labels ?? {}))
  );
}

const sendsToAny = (route: Route, appGuids: readonly string[] | undefined): boolean =>
  appGuids === undefined || destinationAppGuidsOf(route).some((guid) => appGuids.includes(guid));

/** The routes with a destination for the app (the app must be visible: 404 otherwise). */
export async function listAppRoutes(context: RequestContext, appGuid: string, labelSelector?: LabelSelector): Promise<RouteWithDomain[]> {
  const app = await getApp(context, appGuid);
  return listRoutes(context, {
    spaceGuids: [app.metadata.namespace ?? ''],
    appGuids: [appGuid],
    ...(labelSelector ? { labelSelector } : {}),
  });
}

export async function getRoute(context: RequestContext, guid: string): Promise<RouteWithDomain> {
  const route = await getVisibleByGuid(context, 'CFRoute', guid, routeResourceType);
  const [withDomain] = await withDomains(context, [route]);
  return withDomain!;
}

/** Each route with its domain (read once per domain). */
export async function withDomains(context: RequestContext, routes: readonly Route[]): Promise<RouteWithDomain[]> {
  if (routes.length === 0) return [];
  const guids = [...new Set(routes.map(domainGuidOf))];
  const domains = new Map((await listDomains(context, { guids })).map((domain) => [domain.metadata.name, domain]));
  return routes.map((route) => ({ route, domain: domains.get(domainGuidOf(route)) }));
}
