import { requestContext } from '../domain/request-context.ts';
import { getOrgDefaultDomain, listOrgDomains } from '../domain/domains/domain-service.ts';
import { createOrg, deleteOrg, getOrg, listOrgs, updateOrg } from '../domain/tenancy/org-service.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { deletionAccepted } from './jobs.ts';
import { presentDomain, presentOrganization } from '../presenters/tenancy.ts';
import { certificateExpiryWarning } from './certificate-warning.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';
import type { StoredObject } from '../store/objects.ts';

const orgSortFields = { ...timestampFields, name: (org: StoredObject<'CFOrg'>) => org.spec.displayName };

const listOrganizations: OperationHandler<'listOrganizations'> = async ({ query }, scope) => {
  const context = requestContext(scope);
  // The cf CLI lists orgs right after login, so this is where a long-lived certificate is pointed out.
  const warning = certificateExpiryWarning(context.auth.credentials, scope.runtime.config.certificateWarningHours);
  if (warning !== undefined) scope.warn(warning);
  const orgs = await listOrgs(context, { ...present({ names: query.names, guids: query.guids }), ...labelSelectorOf(query) });
  const baseUrl = scope.runtime.config.externalUrl;
  return {
    status: 200,
    body: pageOf(scope, orgs, query, { sortFields: orgSortFields, present: (org) => presentOrganization(org, baseUrl) }),
  };
};

const getOrganization: OperationHandler<'getOrganization'> = async ({ path }, scope) => {
  const org = await getOrg(requestContext(scope), path.guid);
  return { status: 200, body: presentOrganization(org, scope.runtime.config.externalUrl) };
};

const createOrganization: OperationHandler<'createOrganization'> = async ({ body }, scope) => {
  const org = await createOrg(requestContext(scope), { name: body.name, metadata: body.metadata });
  return { status: 201, body: presentOrganization(org, scope.runtime.config.externalUrl) };
};

const updateOrganization: OperationHandler<'updateOrganization'> = async ({ path, body }, scope) => {
  const org = await updateOrg(requestContext(scope), path.guid, { name: body.name, metadata: body.metadata });
  return { status: 200, body: presentOrganization(org, scope.runtime.config.externalUrl) };
};

const deleteOrganization: OperationHandler<'deleteOrganization'> = async ({ path }, scope) => {
  await deleteOrg(requestContext(scope), path.guid);
  return deletionAccepted(scope, 'org.delete', path.guid);
};

const listOrganizationDomains: OperationHandler<'listOrganizationDomains'> = async ({ path, query }, scope) => {
  const filters = { ...present({ names: query.names, guids: query.guids }), ...labelSelectorOf(query) };
  const domains = await listOrgDomains(requestContext(scope), path.guid, filters);
  const baseUrl = scope.runtime.config.externalUrl;
  return {
    status: 200,
    body: pageOf(scope, domains, query, { sortFields: timestampFields, present: (domain) => presentDomain(domain, baseUrl) }),
  };
};

const getOrganizationDefaultDomain: OperationHandler<'getOrganizationDefaultDomain'> = async ({ path }, scope) => {
  const domain = await getOrgDefaultDomain(requestContext(scope), path.guid);
  return { status: 200, body: presentDomain(domain, scope.runtime.config.externalUrl) };
};

const getOrganizationDefaultIsolationSegment: OperationHandler<'getOrganizationDefaultIsolationSegment'> = async ({ path }, scope) => {
  await getOrg(requestContext(scope), path.guid);
  const self = `${scope.runtime.config.externalUrl}/v3/organizations/${path.guid}/relationships/default_isolation_segment`;
  return { status: 200, body: { data: null, links: { self: { href: self } } } };
};

export const organizationHandlers = {
  listOrganizations,
  getOrganization,
  createOrganization,
  updateOrganization,
  deleteOrganization,
  listOrganizationDomains,
  getOrganizationDefaultDomain,
  getOrganizationDefaultIsolationSegment,
} satisfies Partial<HandlerMap>;
