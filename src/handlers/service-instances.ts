import type { components } from '../../generated/openapi-types.ts';
import { requestContext, type RequestContext } from '../domain/request-context.ts';
import {
  createServiceInstance as createServiceInstanceIn,
  deleteServiceInstance as deleteServiceInstanceIn,
  getServiceInstance as getServiceInstanceIn,
  getServiceInstanceCredentials as getServiceInstanceCredentialsIn,
  listServiceInstances as listServiceInstancesIn,
  updateServiceInstance as updateServiceInstanceIn,
  type ServiceInstance,
} from '../domain/services/service-instances.ts';
import { listOrgs } from '../domain/tenancy/org-service.ts';
import { listSpaces, orgGuidOf } from '../domain/tenancy/space-service.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentServiceInstance } from '../presenters/service-instance.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';

type Included = components['schemas']['ServiceInstanceIncluded'];

/** The `fields[...]` parameters of the list and the get. */
type FieldsQuery = {
  'fields[space]'?: string[];
  'fields[space.organization]'?: string[];
  'fields[service_plan]'?: string[];
  'fields[service_plan.service_offering]'?: string[];
  'fields[service_plan.service_offering.service_broker]'?: string[];
};

const instanceSortFields = { ...timestampFields, name: (instance: ServiceInstance) => instance.spec.displayName };

/** Only the keys asked for (`relationships.organization` names the key `relationships`), in the order of the resource. */
function picked<T extends Record<string, unknown>>(resource: T, keys: readonly string[]): Partial<T> {
  const wanted = new Set(keys.map((key) => key.split('.')[0]));
  const result: Partial<T> = {};
  for (const key of Object.keys(resource)) if (wanted.has(key)) result[key as keyof T] = resource[key as keyof T];
  return result;
}

/**
 * What `fields[...]` adds: the instances' spaces and their orgs with the keys asked for, each once. Plans,
 * offerings and brokers belong to managed instances, which come from brokers this API does not have:
 * asked for, they are empty lists.
 */
async function includedFor(
  context: RequestContext,
  instances: readonly ServiceInstance[],
  query: FieldsQuery,
): Promise<Included | undefined> {
  const included: Included = {};
  const spaceFields = query['fields[space]'];
  const orgFields = query['fields[space.organization]'];
  if (spaceFields || orgFields) {
    const guids = [...new Set(instances.map((instance) => instance.metadata.namespace ?? ''))];
    const spaces = guids.length === 0 ? [] : await listSpaces(context, { guids });
    if (spaceFields) {
      included.spaces = spaces.map((space) =>
        picked(
          {
            guid: space.metadata.name,
            name: space.spec.displayName,
            relationships: { organization: { data: { guid: orgGuidOf(space) } } },
          },
          spaceFields,
        ),
      );
    }
    if (orgFields) {
      const orgGuids = [...new Set(spaces.map(orgGuidOf))];
      const orgs = orgGuids.length === 0 ? [] : await listOrgs(context, { guids: orgGuids });
      included.organizations = orgs.map((org) => picked({ guid: org.metadata.name, name: org.spec.displayName }, orgFields));
    }
  }
  if (query['fields[service_plan]']) included.service_plans = [];
  if (query['fields[service_plan.service_offering]']) included.service_offerings = [];
  if (query['fields[service_plan.service_offering.service_broker]']) included.service_brokers = [];
  return Object.keys(included).length === 0 ? undefined : included;
}

const listServiceInstances: OperationHandler<'listServiceInstances'> = async ({ query }, scope) => {
  const context = requestContext(scope);
  const filters = {
    ...present({
      names: query.names,
      guids: query.guids,
      spaceGuids: query.space_guids,
      organizationGuids: query.organization_guids,
      type: query.type,
      servicePlanGuids: query.service_plan_guids,
      servicePlanNames: query.service_plan_names,
    }),
    ...labelSelectorOf(query),
  };
  const instances = await listServiceInstancesIn(context, filters);
  const page = pageOf(scope, instances, query, { sortFields: instanceSortFields, present: (instance) => instance });
  const baseUrl = context.config.externalUrl;
  const body = { pagination: page.pagination, resources: page.resources.map((instance) => presentServiceInstance(instance, baseUrl)) };
  const included = await includedFor(context, page.resources, query);
  return { status: 200, body: included ? { ...body, included } : body };
};

const getServiceInstance: OperationHandler<'getServiceInstance'> = async ({ path, query }, scope) => {
  const context = requestContext(scope);
  const instance = await getServiceInstanceIn(context, path.guid, { readOnly: true });
  const body = presentServiceInstance(instance, context.config.externalUrl);
  const included = await includedFor(context, [instance], query ?? {});
  return { status: 200, body: included ? { ...body, included } : body };
};

const createServiceInstance: OperationHandler<'createServiceInstance'> = async ({ body }, scope) => {
  const instance = await createServiceInstanceIn(requestContext(scope), {
    type: body.type,
    name: body.name,
    spaceGuid: body.relationships.space.data.guid,
    credentials: body.credentials,
    tags: body.tags,
    syslogDrainUrl: body.syslog_drain_url,
    routeServiceUrl: body.route_service_url,
    metadata: body.metadata,
  });
  return { status: 201, body: presentServiceInstance(instance, scope.runtime.config.externalUrl) };
};

const updateServiceInstance: OperationHandler<'updateServiceInstance'> = async ({ path, body }, scope) => {
  const instance = await updateServiceInstanceIn(requestContext(scope), path.guid, {
    name: body.name,
    tags: body.tags,
    credentials: body.credentials,
    syslogDrainUrl: body.syslog_drain_url,
    routeServiceUrl: body.route_service_url,
    metadata: body.metadata,
  });
  return { status: 200, body: presentServiceInstance(instance, scope.runtime.config.externalUrl) };
};

const deleteServiceInstance: OperationHandler<'deleteServiceInstance'> = async ({ path }, scope) => {
  await deleteServiceInstanceIn(requestContext(scope), path.guid);
  return { status: 204 };
};

const getServiceInstanceCredentials: OperationHandler<'getServiceInstanceCredentials'> = async ({ path }, scope) => {
  return { status: 200, body: await getServiceInstanceCredentialsIn(requestContext(scope), path.guid) };
};

/** User-provided service instances (managed ones need brokers, which this API does not have). */
export const serviceInstanceHandlers = {
  listServiceInstances,
  getServiceInstance,
  createServiceInstance,
  updateServiceInstance,
  deleteServiceInstance,
  getServiceInstanceCredentials,
} satisfies Partial<HandlerMap>;
