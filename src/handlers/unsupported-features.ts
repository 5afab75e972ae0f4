import type { HandlerMap, OperationHandler, Scope } from '../http/operation.ts';
import { pageRequest } from '../lists/page-request.ts';
import { paginate, type Page } from '../lists/pagination.ts';

/**
 * Lists of features this platform does not have (organization quotas, isolation segments, route
 * services): always an empty page, with correct pagination, so the cf CLI commands that read them
 * (`cf org`, `cf routes`) work.
 */
export function emptyPage(query: { page?: number; per_page?: number }, scope: Scope): Page<never> {
  return paginate([], pageRequest(query, scope.runtime.config.list.defaultPageSize), scope.requestUrl);
}

const listOrganizationQuotas: OperationHandler<'listOrganizationQuotas'> = async ({ query }, scope) => ({
  status: 200,
  body: emptyPage(query, scope),
});

const listIsolationSegments: OperationHandler<'listIsolationSegments'> = async ({ query }, scope) => ({
  status: 200,
  body: emptyPage(query, scope),
});

const listServiceRouteBindings: OperationHandler<'listServiceRouteBindings'> = async ({ query }, scope) => ({
  status: 200,
  body: emptyPage(query, scope),
});

export const unsupportedFeatureHandlers = {
  listOrganizationQuotas,
  listIsolationSegments,
  listServiceRouteBindings,
} satisfies Partial<HandlerMap>;
