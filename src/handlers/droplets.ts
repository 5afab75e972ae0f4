import {
  getCurrentDroplet,
  getCurrentDropletGuid,
  getDroplet as getDropletIn,
  listAppDroplets as listAppDropletsIn,
  listDroplets as listDropletsIn,
  listPackageDroplets as listPackageDropletsIn,
  setCurrentDroplet,
  updateDroplet as updateDropletIn,
  type Droplet,
} from '../domain/droplets/droplet-service.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler, Scope } from '../http/operation.ts';
import { presentCurrentDropletRelationship, presentDroplet } from '../presenters/droplet.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';

type ListQuery = { order_by?: string; page?: number; per_page?: number };

const dropletPage = (scope: Scope, droplets: Droplet[], query: ListQuery) => {
  const baseUrl = scope.runtime.config.externalUrl;
  return pageOf(scope, droplets, query, { sortFields: timestampFields, present: (droplet) => presentDroplet(droplet, baseUrl) });
};

const listDroplets: OperationHandler<'listDroplets'> = async ({ query }, scope) => {
  const filters = {
    ...present({
      guids: query.guids,
      states: query.states,
      appGuids: query.app_guids,
      spaceGuids: query.space_guids,
      organizationGuids: query.organization_guids,
    }),
    ...labelSelectorOf(query),
  };
  return { status: 200, body: dropletPage(scope, await listDropletsIn(requestContext(scope), filters), query) };
};

const listAppDroplets: OperationHandler<'listAppDroplets'> = async ({ path, query }, scope) => {
  const filters = { ...present({ states: query.states }), ...labelSelectorOf(query) };
  return { status: 200, body: dropletPage(scope, await listAppDropletsIn(requestContext(scope), path.guid, filters), query) };
};

const listPackageDroplets: OperationHandler<'listPackageDroplets'> = async ({ path, query }, scope) => {
  const filters = present({ states: query.states });
  return { status: 200, body: dropletPage(scope, await listPackageDropletsIn(requestContext(scope), path.guid, filters), query) };
};

const getDroplet: OperationHandler<'getDroplet'> = async ({ path }, scope) => {
  const droplet = await getDropletIn(requestContext(scope), path.guid);
  return { status: 200, body: presentDroplet(droplet, scope.runtime.config.externalUrl) };
};

const updateDroplet: OperationHandler<'updateDroplet'> = async ({ path, body }, scope) => {
  const droplet = await updateDropletIn(requestContext(scope), path.guid, body.metadata);
  return { status: 200, body: presentDroplet(droplet, scope.runtime.config.externalUrl) };
};

const getAppCurrentDroplet: OperationHandler<'getAppCurrentDroplet'> = async ({ path }, scope) => {
  const { droplet } = await getCurrentDroplet(requestContext(scope), path.guid);
  return { status: 200, body: presentDroplet(droplet, scope.runtime.config.externalUrl) };
};

const getAppCurrentDropletRelationship: OperationHandler<'getAppCurrentDropletRelationship'> = async ({ path }, scope) => {
  const dropletGuid = await getCurrentDropletGuid(requestContext(scope), path.guid);
  return { status: 200, body: presentCurrentDropletRelationship(path.guid, dropletGuid, scope.runtime.config.externalUrl) };
};

const setAppCurrentDroplet: OperationHandler<'setAppCurrentDroplet'> = async ({ path, body }, scope) => {
  const app = await setCurrentDroplet(requestContext(scope), path.guid, body.data.guid);
  return {
    status: 200,
    body: presentCurrentDropletRelationship(app.metadata.name, body.data.guid, scope.runtime.config.externalUrl),
  };
};

export const dropletHandlers = {
  listDroplets,
  listAppDroplets,
  listPackageDroplets,
  getDroplet,
  updateDroplet,
  getAppCurrentDroplet,
  getAppCurrentDropletRelationship,
  setAppCurrentDroplet,
} satisfies Partial<HandlerMap>;
