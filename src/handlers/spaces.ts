import { unprocessableEntity } from '../errors/api-error.ts';
import { requestContext, type RequestContext } from '../domain/request-context.ts';
import { listOrgs } from '../domain/tenancy/org-service.ts';
import {
  createSpace as createSpaceIn,
  deleteSpace as deleteSpaceIn,
  getSpace as getSpaceIn,
  listSpaces as listSpacesIn,
  orgGuidOf,
  updateSpace as updateSpaceIn,
  type Space,
} from '../domain/tenancy/space-service.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { deletionAccepted } from './jobs.ts';
import { presentOrganization, presentSpace } from '../presenters/tenancy.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';
import { emptyPage } from './unsupported-features.ts';

const spaceSortFields = { ...timestampFields, name: (space: Space) => space.spec.displayName };

/** The organizations of some spaces, each once, as `include=organization` adds them. */
async function includedOrganizations(context: RequestContext, spaces: readonly Space[]) {
  const guids = [...new Set(spaces.map(orgGuidOf))];
  if (guids.length === 0) return [];
  const orgs = await listOrgs(context, { guids });
  return orgs.map((org) => presentOrganization(org, context.config.externalUrl));
}

const listSpaces: OperationHandler<'listSpaces'> = async ({ query }, scope) => {
  const context = requestContext(scope);
  const filters = {
    ...present({ names: query.names, guids: query.guids, organizationGuids: query.organization_guids }),
    ...labelSelectorOf(query),
  };
  const spaces = await listSpacesIn(context, filters);
  const baseUrl = scope.runtime.config.externalUrl;
  const page = pageOf(scope, spaces, query, { sortFields: spaceSortFields, present: (space) => space });
  const body = { pagination: page.pagination, resources: page.resources.map((space) => presentSpace(space, baseUrl)) };
  if (!query.include?.includes('organization')) return { status: 200, body };
  return { status: 200, body: { ...body, included: { organizations: await includedOrganizations(context, page.resources) } } };
};

const getSpace: OperationHandler<'getSpace'> = async ({ path, query }, scope) => {
  const context = requestContext(scope);
  const space = await getSpaceIn(context, path.guid);
  const body = presentSpace(space, scope.runtime.config.externalUrl);
  if (!query.include?.includes('organization')) return { status: 200, body };
  return { status: 200, body: { ...body, included: { organizations: await includedOrganizations(context, [space]) } } };
};

const createSpace: OperationHandler<'createSpace'> = async ({ body }, scope) => {
  const request = { name: body.name, organizationGuid: body.relationships.organization.data.guid, metadata: body.metadata };
  const space = await createSpaceIn(requestContext(scope), request);
  return { status: 201, body: presentSpace(space, scope.runtime.config.externalUrl) };
};

const updateSpace: OperationHandler<'updateSpace'> = async ({ path, body }, scope) => {
  const space = await updateSpaceIn(requestContext(scope), path.guid, { name: body.name, metadata: body.metadata });
  return { status: 200, body: presentSpace(space, scope.runtime.config.externalUrl) };
};

const deleteSpace: OperationHandler<'deleteSpace'> = async ({ path }, scope) => {
  await deleteSpaceIn(requestContext(scope), path.guid);
  return deletionAccepted(scope, 'space.delete', path.guid);
};

const getSpaceIsolationSegment: OperationHandler<'getSpaceIsolationSegment'> = async ({ path }, scope) => {
  await getSpaceIn(requestContext(scope), path.guid);
  const self = `${scope.runtime.config.externalUrl}/v3/spaces/${path.guid}/relationships/isolation_segment`;
  return { status: 200, body: { data: null, links: { self: { href: self } } } };
};

const listSpaceRunningSecurityGroups: OperationHandler<'listSpaceRunningSecurityGroups'> = async ({ path, query }, scope) => {
  await getSpaceIn(requestContext(scope), path.guid);
  return { status: 200, body: emptyPage(query, scope) };
};

const listSpaceStagingSecurityGroups: OperationHandler<'listSpaceStagingSecurityGroups'> = async ({ path, query }, scope) => {
  await getSpaceIn(requestContext(scope), path.guid);
  return { status: 200, body: emptyPage(query, scope) };
};

const getSpaceFeature: OperationHandler<'getSpaceFeature'> = async ({ path }, scope) => {
  await getSpaceIn(requestContext(scope), path.guid);
  if (path.name !== 'ssh') throw unprocessableEntity(`feature "${path.name}" is not supported`);
  return { status: 200, body: { name: 'ssh', description: 'Enable SSHing into apps in the space.', enabled: false } };
};

export const spaceHandlers = {
  listSpaces,
  getSpace,
  createSpace,
  updateSpace,
  deleteSpace,
  getSpaceIsolationSegment,
  listSpaceRunningSecurityGroups,
  listSpaceStagingSecurityGroups,
  getSpaceFeature,
} satisfies Partial<HandlerMap>;
