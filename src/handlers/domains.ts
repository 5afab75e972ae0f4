import {
  createDomain as createDomainIn,
  deleteDomain as deleteDomainIn,
  getDomain as getDomainIn,
  listDomains as listDomainsIn,
  updateDomain as updateDomainIn,
} from '../domain/domains/domain-service.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { deletionAccepted } from './jobs.ts';
import { presentDomain } from '../presenters/tenancy.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';

const listDomains: OperationHandler<'listDomains'> = async ({ query }, scope) => {
  // Every domain is shared with every org, so `organization_guids` narrows nothing.
  const domains = await listDomainsIn(requestContext(scope), {
    ...present({ names: query.names, guids: query.guids }),
    ...labelSelectorOf(query),
  });
  const baseUrl = scope.runtime.config.externalUrl;
  return {
    status: 200,
    body: pageOf(scope, domains, query, { sortFields: timestampFields, present: (domain) => presentDomain(domain, baseUrl) }),
  };
};

const getDomain: OperationHandler<'getDomain'> = async ({ path }, scope) => {
  const domain = await getDomainIn(requestContext(scope), path.guid);
  return { status: 200, body: presentDomain(domain, scope.runtime.config.externalUrl) };
};

const createDomain: OperationHandler<'createDomain'> = async ({ body }, scope) => {
  const relationships = body.relationships ?? {};
  const hasOrganizationRelationships =
    relationships.organization !== undefined || (relationships.shared_organizations?.data.length ?? 0) > 0;
  const request = { name: body.name, hasOrganizationRelationships, ...present({ internal: body.internal, metadata: body.metadata }) };
  const domain = await createDomainIn(requestContext(scope), request);
  return { status: 201, body: presentDomain(domain, scope.runtime.config.externalUrl) };
};

const updateDomain: OperationHandler<'updateDomain'> = async ({ path, body }, scope) => {
  const domain = await updateDomainIn(requestContext(scope), path.guid, { metadata: body.metadata });
  return { status: 200, body: presentDomain(domain, scope.runtime.config.externalUrl) };
};

const deleteDomain: OperationHandler<'deleteDomain'> = async ({ path }, scope) => {
  await deleteDomainIn(requestContext(scope), path.guid);
  return deletionAccepted(scope, 'domain.delete', path.guid);
};

export const domainHandlers = { listDomains, getDomain, createDomain, updateDomain, deleteDomain } satisfies Partial<HandlerMap>;
