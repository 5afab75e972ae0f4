import { randomUUID } from 'node:crypto';
import { notAuthorized, resourceNotFound, unprocessableEntity } from '../../errors/api-error.ts';
import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { isStoreError } from '../../store/errors.ts';
import type { StoredObject } from '../../store/objects.ts';
import { metadataOfCreate, metadataPatchOf } from '../metadata-writes.ts';
import { deleteAsCallerThenAnnotateAsServer } from '../jobs/deletion.ts';
import { createDomainClaimed, type DomainNameClaim } from './domain-name-claims.ts';
import type { RequestContext } from '../request-context.ts';
import { apiErrorOf, asCfError, mayI, readOrNotFound } from '../store-failures.ts';
import { getOrg } from '../tenancy/org-service.ts';
import type { TenantCreate, TenantUpdate } from '../tenancy/tenant-writes.ts';

export type Domain = StoredObject<'CFDomain'>;
export type DomainFilters = { names?: readonly string[]; guids?: readonly string[]; labelSelector?: LabelSelector };
export type DomainCreate = TenantCreate & { internal?: boolean | undefined; hasOrganizationRelationships: boolean };

const resourceType = 'Domain';
const domainRef = (context: RequestContext, guid: string) => ({
  kind: 'CFDomain' as const,
  namespace: context.config.rootNamespace,
  name: guid,
});

/**
 * Domains: CFDomains in the root namespace, all shared with every org. Anyone with a CF role reads
 * them (the root-namespace role); only admins write them.
 */
export async function listDomains(context: RequestContext, filters: DomainFilters): Promise<Domain[]> {
  const all = await context.user.list('CFDomain', { namespace: context.config.rootNamespace }).then(
    (list) => list.items,
    (error: unknown) => {
      // Like Korifi: without the root-namespace role the list is empty, not an error.
      if (isStoreError(error, 'Forbidden')) return [];
      throw apiErrorOf(error, resourceType);
    },
  );
  return all.filter((domain) => matchesDomainFilters(domain, filters));
}

function matchesDomainFilters(domain: Domain, filters: DomainFilters): boolean {
  if (filters.names && !filters.names.includes(domain.spec.name)) return false;
  if (filters.guids && !filters.guids.includes(domain.metadata.name)) return false;
  return !filters.labelSelector || matchesLabelSelector(filters.labelSelector, domain.metadata.labels ?? {});
}

/** An org's domains: every domain, since all are shared; the org must be visible. */
export async function listOrgDomains(context: RequestContext, orgGuid: string, filters: DomainFilters): Promise<Domain[]> {
  await getOrg(context, orgGuid);
  return listDomains(context, filters);
}

/** The domain new routes of the org use when none is named: the configured default domain. */
export async function getOrgDefaultDomain(context: RequestContext, orgGuid: string): Promise<Domain> {
  const [domain] = await listOrgDomains(context, orgGuid, { names: [context.config.defaultDomain] });
  if (!domain) throw resourceNotFound(resourceType);
  return domain;
}

export async function getDomain(context: RequestContext, guid: string): Promise<Domain> {
  return readOrNotFound(context.user.get(domainRef(context, guid)), resourceType);
}

/** Creates a shared domain (admins only, decided by RBAC). Names are unique and may not overlap. */
export async function createDomain(context: RequestContext, request: DomainCreate): Promise<Domain> {
  // Asked first, so that which names exist is never told to someone who may not create domains.
  if (!(await mayI(context, 'create', { kind: 'CFDomain', namespace: context.config.rootNamespace }, resourceType))) throw notAuthorized();
  if (request.internal === true) throw unprocessableEntity('Internal domains are not supported.');
  if (request.hasOrganizationRelationships) throw unprocessableEntity('Private domains are not supported; every domain is shared.');
  const name = request.name.toLowerCase();
  const inUse = () => unprocessableEntity(`The domain name "${request.name}" is already in use.`);
  const overlapping = () => unprocessableEntity('Overlapping domain exists');
  // The claims below decide atomically; this list also finds domains that were made without them
  // (the default domain at start-up, domains of earlier versions).
  const existing = await context.server.list('CFDomain', { namespace: context.config.rootNamespace });
  const names = existing.items.map((domain) => domain.spec.name.toLowerCase());
  if (names.includes(name)) throw inUse();
  if (names.some((other) => overlaps(other, name))) throw overlapping();
  const guid = randomUUID();
  const root = context.config.rootNamespace;
  const nameClaim: DomainNameClaim = { namespace: root, entityType: 'cfdomain', name, holderKind: 'CFDomain', holder: guid };
  const object = {
    kind: 'CFDomain' as const,
    metadata: { name: guid, namespace: root, ...metadataOfCreate(request.metadata) },
    spec: { name },
  };
  const created = await asCfError(
    createDomainClaimed(context.server, nameClaim, () => context.user.create(object)),
    resourceType,
  );
  if (created === 'inUse') throw inUse();
  if (created === 'overlaps') throw overlapping();
  return created;
}

/** One a subdomain of the other: a route's URL could belong to either. */
function overlaps(existing: string, candidate: string): boolean {
  return existing.endsWith(`.${candidate}`) || candidate.endsWith(`.${existing}`);
}

export async function updateDomain(context: RequestContext, guid: string, request: Pick<TenantUpdate, 'metadata'>): Promise<Domain> {
  await getDomain(context, guid);
  // Asked first: a patch that changes nothing writes nothing, but only a caller who may change the domain is answered 200.
  if (!(await mayI(context, 'patch', domainRef(context, guid), resourceType))) throw notAuthorized();
  return asCfError(context.user.patch(domainRef(context, guid), { metadata: metadataPatchOf(request.metadata) }), resourceType);
}

export async function deleteDomain(context: RequestContext, guid: string): Promise<void> {
  await getDomain(context, guid);
  await deleteAsCallerThenAnnotateAsServer(context, domainRef(context, guid), resourceType);
}
