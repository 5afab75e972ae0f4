import { unprocessableEntity } from '../errors/api-error.ts';
import { requestContext } from '../domain/request-context.ts';
import type { RouteWithDomain } from '../domain/routes/route-reads.ts';
import {
  createRoute as createRouteIn,
  deleteRoute as deleteRouteIn,
  deleteRouteDestination as deleteRouteDestinationIn,
  deleteUnmappedRoutes,
  insertRouteDestinations as insertRouteDestinationsIn,
  updateRouteMetadata,
} from '../domain/routes/route-writes.ts';
import type { HandlerMap, OperationHandler, Scope } from '../http/operation.ts';
import { presentRoute, presentRouteDestinations } from '../presenters/route.ts';
import { deletionAccepted } from './jobs.ts';

/** Routes have no per-route options here (Korifi's CFRoute has nowhere to keep them): only none, or an empty object. */
function refuseOptions(options: Record<string, unknown> | undefined): void {
  if (options !== undefined && Object.keys(options).length > 0) throw unprocessableEntity('Route options are not supported.');
}

const createRoute: OperationHandler<'createRoute'> = async ({ body }, scope) => {
  refuseOptions(body.options);
  const route = await createRouteIn(requestContext(scope), {
    host: body.host,
    path: body.path,
    spaceGuid: body.relationships.space.data.guid,
    domainGuid: body.relationships.domain.data.guid,
    metadata: body.metadata,
  });
  return { status: 201, body: presentRoute(route, scope.runtime.config.externalUrl) };
};

const updateRoute: OperationHandler<'updateRoute'> = async ({ path, body }, scope) => {
  refuseOptions(body.options);
  const route = await updateRouteMetadata(requestContext(scope), path.guid, body.metadata);
  return { status: 200, body: presentRoute(route, scope.runtime.config.externalUrl) };
};

const deleteRoute: OperationHandler<'deleteRoute'> = async ({ path }, scope) => {
  await deleteRouteIn(requestContext(scope), path.guid);
  return deletionAccepted(scope, 'route.delete', path.guid);
};

/** The destinations document: every destination of the route, and where it belongs. */
function destinationsDocument(route: RouteWithDomain, scope: Scope) {
  const self = `${scope.runtime.config.externalUrl}/v3/routes/${route.route.metadata.name}`;
  return { destinations: presentRouteDestinations(route), links: { self: { href: `${self}/destinations` }, route: { href: self } } };
}

const insertRouteDestinations: OperationHandler<'insertRouteDestinations'> = async ({ path, body }, scope) => {
  const requested = body.destinations.map((destination) => ({
    appGuid: destination.app.guid,
    processType: destination.app.process?.type,
    port: destination.port,
    protocol: destination.protocol,
  }));
  const route = await insertRouteDestinationsIn(requestContext(scope), path.guid, requested);
  // 200 with all of the route's destinations, as Korifi answers.
  return { status: 200, body: destinationsDocument(route, scope) };
};

const deleteRouteDestination: OperationHandler<'deleteRouteDestination'> = async ({ path }, scope) => {
  await deleteRouteDestinationIn(requestContext(scope), path.guid, path.destination_guid);
  return { status: 204 };
};

const deleteSpaceUnmappedRoutes: OperationHandler<'deleteSpaceUnmappedRoutes'> = async ({ path, query }, scope) => {
  await deleteUnmappedRoutes(requestContext(scope), path.guid, query.unmapped);
  return deletionAccepted(scope, 'space.delete_unmapped_routes', path.guid);
};

/** Route writes: create, update, delete, destinations, and the unmapped routes of a space. */
export const routeWriteHandlers = {
  createRoute,
  updateRoute,
  deleteRoute,
  insertRouteDestinations,
  deleteRouteDestination,
  deleteSpaceUnmappedRoutes,
} satisfies Partial<HandlerMap>;
