import type { components } from '../../generated/openapi-types.ts';
import { listApps } from '../domain/apps/app-service.ts';
import { requestContext, type RequestContext } from '../domain/request-context.ts';
import {
  createServiceBinding,
  deleteServiceBinding,
  getServiceBinding,
  getServiceBindingDetails,
  listServiceBindings,
  updateServiceBinding,
  type ServiceBinding,
} from '../domain/services/service-bindings.ts';
import { listServiceInstances } from '../domain/services/service-instances.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentApp } from '../presenters/app.ts';
import { presentServiceBinding } from '../presenters/service-binding.ts';
import { presentServiceInstance } from '../presenters/service-instance.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';

type Included = NonNullable<components['schemas']['ServiceCredentialBindingList']['included']>;

const bindingSortFields = { ...timestampFields, name: (binding: ServiceBinding) => binding.spec.displayName ?? '' };

/** What `include=` adds: the page's bound apps and instances the caller sees, each once. */
async function includedFor(context: RequestContext, bindings: readonly ServiceBinding[], include: readonly string[]): Promise<Included> {
  const baseUrl = context.config.externalUrl;
  const included: Included = {};
  if (include.includes('app')) {
    const guids = [...new Set(bindings.map((binding) => binding.spec.appRef.name ?? '').filter((guid) => guid !== ''))];
    included.apps = guids.length === 0 ? [] : (await listApps(context, { guids })).map((app) => presentApp(app, baseUrl));
  }
  if (include.includes('service_instance')) {
    const guids = [...new Set(bindings.map((binding) => binding.spec.service.name ?? ''))];
    included.service_instances =
      guids.length === 0
        ? []
        : (await listServiceInstances(context, { guids })).map((instance) => presentServiceInstance(instance, baseUrl));
  }
  return included;
}

const listServiceCredentialBindings: OperationHandler<'listServiceCredentialBindings'> = async ({ query }, scope) => {
  const context = requestContext(scope);
  const filters = {
    ...present({
      names: query.names,
      guids: query.guids,
      appGuids: query.app_guids,
      serviceInstanceGuids: query.service_instance_guids,
      type: query.type,
    }),
    ...labelSelectorOf(query),
  };
  const bindings = await listServiceBindings(context, filters);
  const page = pageOf(scope, bindings, query, { sortFields: bindingSortFields, present: (binding) => binding });
  const baseUrl = context.config.externalUrl;
  const body = { pagination: page.pagination, resources: page.resources.map((binding) => presentServiceBinding(binding, baseUrl)) };
  if (!query.include || query.include.length === 0) return { status: 200, body };
  return { status: 200, body: { ...body, included: await includedFor(context, page.resources, query.include) } };
};

const getServiceCredentialBinding: OperationHandler<'getServiceCredentialBinding'> = async ({ path }, scope) => {
  const binding = await getServiceBinding(requestContext(scope), path.guid, { readOnly: true });
  return { status: 200, body: presentServiceBinding(binding, scope.runtime.config.externalUrl) };
};

const createServiceCredentialBinding: OperationHandler<'createServiceCredentialBinding'> = async ({ body }, scope) => {
  const binding = await createServiceBinding(requestContext(scope), {
    type: body.type,
    name: body.name,
    serviceInstanceGuid: body.relationships.service_instance.data.guid,
    appGuid: body.relationships.app?.data.guid,
    metadata: body.metadata,
  });
  return { status: 201, body: presentServiceBinding(binding, scope.runtime.config.externalUrl) };
};

const updateServiceCredentialBinding: OperationHandler<'updateServiceCredentialBinding'> = async ({ path, body }, scope) => {
  const binding = await updateServiceBinding(requestContext(scope), path.guid, body.metadata);
  return { status: 200, body: presentServiceBinding(binding, scope.runtime.config.externalUrl) };
};

const deleteServiceCredentialBinding: OperationHandler<'deleteServiceCredentialBinding'> = async ({ path }, scope) => {
  await deleteServiceBinding(requestContext(scope), path.guid);
  return { status: 204 };
};

const getServiceCredentialBindingDetails: OperationHandler<'getServiceCredentialBindingDetails'> = async ({ path }, scope) => {
  return { status: 200, body: await getServiceBindingDetails(requestContext(scope), path.guid) };
};

/** App bindings of user-provided instances (keys and managed bindings need brokers). */
export const serviceCredentialBindingHandlers = {
  listServiceCredentialBindings,
  getServiceCredentialBinding,
  createServiceCredentialBinding,
  updateServiceCredentialBinding,
  deleteServiceCredentialBinding,
  getServiceCredentialBindingDetails,
} satisfies Partial<HandlerMap>;
