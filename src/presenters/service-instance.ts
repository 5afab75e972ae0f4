import type { components } from '../../generated/openapi-types.ts';
import { routeServiceAnnotation, syslogDrainAnnotation, type ServiceInstance } from '../domain/services/service-instances.ts';
import { presentMetadata, presentTimestamps } from './resource-basics.ts';

type Schemas = components['schemas'];

/** The last operation its controller recorded; a create in progress until it has. */
function lastOperationOf(instance: ServiceInstance): Pick<Schemas['ServiceInstance']['last_operation'], 'type' | 'state' | 'description'> {
  const lastOperation = instance.status?.lastOperation;
  if (lastOperation === undefined) return { type: 'create', state: 'in progress', description: '' };
  return { type: lastOperation.type, state: lastOperation.state, description: lastOperation.description ?? '' };
}

/**
 * A service instance as Korifi shows it: `last_operation` from the status its controller writes (a
 * create in progress until then), the space its namespace; the drain and route service URLs are kept as
 * annotations (see service-instances.ts).
 */
export function presentServiceInstance(instance: ServiceInstance, baseUrl: string): Schemas['ServiceInstance'] {
  const guid = instance.metadata.name;
  const self = `${baseUrl}/v3/service_instances/${guid}`;
  const spaceGuid = instance.metadata.namespace ?? '';
  const timestamps = presentTimestamps(instance);
  const annotations = instance.metadata.annotations ?? {};
  const managed = instance.spec.type === 'managed';
  return {
    guid,
    ...timestamps,
    name: instance.spec.displayName,
    type: instance.spec.type,
    tags: [...(instance.spec.tags ?? [])],
    syslog_drain_url: annotations[syslogDrainAnnotation] ?? null,
    route_service_url: annotations[routeServiceAnnotation] ?? null,
    last_operation: { ...lastOperationOf(instance), created_at: timestamps.created_at, updated_at: timestamps.updated_at },
    relationships: {
      space: { data: { guid: spaceGuid } },
      ...(managed ? { service_plan: { data: { guid: instance.spec.planGuid } } } : {}),
    },
    metadata: presentMetadata(instance),
    links: {
      self: { href: self },
      space: { href: `${baseUrl}/v3/spaces/${spaceGuid}` },
      ...(managed
        ? { service_plan: { href: `${baseUrl}/v3/service_plans/${instance.spec.planGuid}` }, parameters: { href: `${self}/parameters` } }
        : { credentials: { href: `${self}/credentials` } }),
      service_credential_bindings: { href: `${baseUrl}/v3/service_credential_bindings?service_instance_guids=${guid}` },
      service_route_bindings: { href: `${baseUrl}/v3/service_route_bindings?service_instance_guids=${guid}` },
    },
  };
}
