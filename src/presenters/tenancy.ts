import type { components } from '../../generated/openapi-types.ts';
import type { StoredObject } from '../store/objects.ts';
import { presentMetadata, presentTimestamps } from './resource-basics.ts';

type Schemas = components['schemas'];

/** An organization as CF shows it; suspension and quotas are not supported, so they are always unset. */
export function presentOrganization(org: StoredObject<'CFOrg'>, baseUrl: string): Schemas['Organization'] {
  const self = `${baseUrl}/v3/organizations/${org.metadata.name}`;
  return {
    guid: org.metadata.name,
    ...presentTimestamps(org),
    name: org.spec.displayName,
    suspended: false,
    relationships: { quota: { data: null } },
    metadata: presentMetadata(org),
    links: { self: { href: self }, domains: { href: `${self}/domains` }, default_domain: { href: `${self}/domains/default` } },
  };
}

/** A space as CF shows it; its organization is the namespace the CFSpace lives in. */
export function presentSpace(space: StoredObject<'CFSpace'>, baseUrl: string): Schemas['Space'] {
  const self = `${baseUrl}/v3/spaces/${space.metadata.name}`;
  const orgGuid = space.metadata.namespace ?? '';
  return {
    guid: space.metadata.name,
    ...presentTimestamps(space),
    name: space.spec.displayName,
    relationships: { organization: { data: { guid: orgGuid } }, quota: { data: null } },
    metadata: presentMetadata(space),
    links: {
      self: { href: self },
      organization: { href: `${baseUrl}/v3/organizations/${orgGuid}` },
      features: { href: `${self}/features` },
      apply_manifest: { href: `${self}/actions/apply_manifest`, method: 'POST' },
    },
  };
}

/** Every domain is shared, HTTP-only and external. */
export function presentDomain(domain: StoredObject<'CFDomain'>, baseUrl: string): Schemas['Domain'] {
  const self = `${baseUrl}/v3/domains/${domain.metadata.name}`;
  return {
    guid: domain.metadata.name,
    ...presentTimestamps(domain),
    name: domain.spec.name,
    internal: false,
    router_group: null,
    supported_protocols: ['http'],
    relationships: { organization: { data: null }, shared_organizations: { data: [] } },
    metadata: presentMetadata(domain),
    links: { self: { href: self }, route_reservations: { href: `${self}/route_reservations` } },
  };
}
