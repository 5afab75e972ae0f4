import { listOrgs } from '../domain/tenancy/org-service.ts';
import { requestContext, type RequestContext } from '../domain/request-context.ts';
import {
  getRoute as getRouteIn,
  listAppRoutes as listAppRoutesIn,
  listRouteObjects,
  withDomains,
  type RouteWithDomain,
} from '../domain/routes/route-reads.ts';
import { listSpaces, orgGuidOf } from '../domain/tenancy/space-service.ts';
import type { components } from '../../generated/openapi-types.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentRoute, presentRouteDestinations } from '../presenters/route.ts';
import { presentDomain, presentOrganization, presentSpace } from '../presenters/tenancy.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';

type Include = 'domain' | 'space' | 'space.organization';

const routeSortFields = {
  created_at: (entry: RouteWithDomain) => timestampFields.created_at!(entry.route),
  updated_at: (entry: RouteWithDomain) => timestampFields.updated_at!(entry.route),
};

/** What `include=` adds: the routes' domains, spaces and the spaces' orgs, each once. */
async function includedFor(context: RequestContext, routes: readonly RouteWithDomain[], include: readonly Include[]) {
  const baseUrl = context.config.externalUrl;
  const included: NonNullable<components['schemas']['RouteList']['included']> = {};
  if (include.includes('domain')) {
    const domains = new Map(routes.flatMap(({ domain }) => (domain ? [[domain.metadata.name, domain] as const] : [])));
    included.domains = [...domains.values()].map((domain) => presentDomain(domain, baseUrl));
  }
  if (include.includes('space') || include.includes('space.organization')) {
    const guids = [...new Set(routes.map(({ route }) => route.metadata.namespace ?? ''))];
    const spaces = guids.length === 0 ? [] : await listSpaces(context, { guids });
    if (include.includes('space')) included.spaces = spaces.map((space) => presentSpace(space, baseUrl));
    if (include.includes('space.organization')) {
      const orgGuids = [...new Set(spaces.map(orgGuidOf))];
      included.organizations =
        orgGuids.length === 0 ? [] : (await listOrgs(context, { guids: orgGuids })).map((org) => presentOrganization(org, baseUrl));
    }
  }
  return included;
}

const listRoutes: OperationHandler<'listRoutes'> = async ({ query }, scope) => {
  const context = requestContext(scope);
  const filters = {
    ...present({
      guids: query.guids,
      appGuids: query.app_guids,
      spaceGuids: query.space_guids,
      organizationGuids: query.organization_guids,
      domainGuids: query.domain_guids,
      hosts: query.hosts,
      paths: query.paths,
      ports: query.ports,
    }),
    ...labelSelectorOf(query),
  };
  // Paged first: only the page's routes are joined with their domains.
  const routes = await listRouteObjects(context, filters);
  const page = pageOf(scope, routes, query, { sortFields: timestampFields, present: (route) => route });
  const entries = await withDomains(context, page.resources);
  const body = { pagination: page.pagination, resources: entries.map((entry) => presentRoute(entry, context.config.externalUrl)) };
  if (!query.include || query.include.length === 0) return { status: 200, body };
  return { status: 200, body: { ...body, included: await includedFor(context, entries, query.include) } };
};

const getRoute: OperationHandler<'getRoute'> = async ({ path }, scope) => {
  const route = await getRouteIn(requestContext(scope), path.guid);
  return { status: 200, body: presentRoute(route, scope.runtime.config.externalUrl) };
};

const listAppRoutes: OperationHandler<'listAppRoutes'> = async ({ path, query }, scope) => {
  const context = requestContext(scope);
  const routes = await listAppRoutesIn(context, path.guid, labelSelectorOf(query).labelSelector);
  const baseUrl = context.config.externalUrl;
  return {
    status: 200,
    body: pageOf(scope, routes, query, { sortFields: routeSortFields, present: (entry) => presentRoute(entry, baseUrl) }),
  };
};

const listRouteDestinations: OperationHandler<'listRouteDestinations'> = async ({ path }, scope) => {
  const route = await getRouteIn(requestContext(scope), path.guid);
  const self = `${scope.runtime.config.externalUrl}/v3/routes/${path.guid}`;
  return {
    status: 200,
    body: { destinations: presentRouteDestinations(route), links: { self: { href: `${self}/destinations` }, route: { href: self } } },
  };
};

/** The read side of routes, which `cf apps`, `cf app` and `cf delete -r` need; writes come with issue 11. */
export const routeReadHandlers = { listRoutes, getRoute, listAppRoutes, listRouteDestinations } satisfies Partial<HandlerMap>;
