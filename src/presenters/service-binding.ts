import type { components } from '../../generated/openapi-types.ts';
import { provisionedServiceLabel, type ServiceBinding } from '../domain/services/service-bindings.ts';
import { presentMetadata, presentTimestamps } from './resource-basics.ts';

type Schemas = components['schemas'];
type LastOperation = Schemas['ServiceCredentialBinding']['last_operation'];

/** Korifi's reading of a binding's conditions as CF's last operation. */
function lastOperationOf(binding: ServiceBinding): Pick<LastOperation, 'type' | 'state' | 'description'> {
  if (binding.metadata.deletionTimestamp !== undefined) return { type: 'delete', state: 'in progress', description: null };
  const conditions = binding.status?.conditions ?? [];
  const ready = conditions.find((condition) => condition.type === 'Ready');
  const failed = conditions.find((condition) => condition.type === 'BindingFailed');
  if (ready === undefined) return { type: 'create', state: 'initial', description: null };
  if (ready.status === 'True') return { type: 'create', state: 'succeeded', description: null };
  if (failed?.status === 'True') return { type: 'create', state: 'failed', description: failed.message || null };
  return { type: 'create', state: 'in progress', description: null };
}

/** The user's labels and annotations: the servicebinding.io label every binding carries is the platform's. */
function metadataOf(binding: ServiceBinding) {
  const metadata = presentMetadata(binding);
  delete metadata.labels[provisionedServiceLabel];
  return metadata;
}

export function presentServiceBinding(binding: ServiceBinding, baseUrl: string): Schemas['ServiceCredentialBinding'] {
  const guid = binding.metadata.name;
  const self = `${baseUrl}/v3/service_credential_bindings/${guid}`;
  const timestamps = presentTimestamps(binding);
  const instanceGuid = binding.spec.service.name ?? '';
  const appGuid = binding.spec.appRef.name ?? '';
  const isApp = binding.spec.type === 'app';
  return {
    guid,
    ...timestamps,
    name: binding.spec.displayName ?? null,
    type: binding.spec.type,
    last_operation: { ...lastOperationOf(binding), created_at: timestamps.created_at, updated_at: timestamps.updated_at },
    relationships: {
      service_instance: { data: { guid: instanceGuid } },
      ...(isApp ? { app: { data: { guid: appGuid } } } : {}),
    },
    metadata: metadataOf(binding),
    links: {
      self: { href: self },
      details: { href: `${self}/details` },
      service_instance: { href: `${baseUrl}/v3/service_instances/${instanceGuid}` },
      ...(isApp ? { app: { href: `${baseUrl}/v3/apps/${appGuid}` } } : {}),
    },
  };
}
