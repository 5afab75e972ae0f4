import { resourceNotFound, unprocessableEntity } from '../../errors/api-error.ts';
import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { isStoreError } from '../../store/errors.ts';
import type { StoredObject } from '../../store/objects.ts';
import { isReady } from '../readiness.ts';
import { deleteAsCallerThenAnnotateAsServer } from '../jobs/deletion.ts';
import type { RequestContext } from '../request-context.ts';
import { apiErrorOf, readOrNotFound } from '../store-failures.ts';
import { createTenant, updateTenant, type TenantCreate, type TenantKind, type TenantUpdate } from './tenant-writes.ts';

export type Org = StoredObject<'CFOrg'>;
export type OrgFilters = { names?: readonly string[]; guids?: readonly string[]; labelSelector?: LabelSelector };

const orgs: TenantKind<'CFOrg'> = {
  kind: 'CFOrg',
  resourceType: 'Organization',
  entityType: 'cforg',
  duplicate: (name) => unprocessableEntity(`Organization '${name}' already exists.`),
};
const orgRef = (context: RequestContext, guid: string) => ({ kind: 'CFOrg' as const, namespace: context.config.rootNamespace, name: guid });

/**
 * Organizations: CFOrgs in the root namespace, each with a namespace of its own (made by a
 * controller). A caller sees the ready orgs whose namespace holds a role of theirs. Read as the caller,
 * then cut down by the shared visibility rule: RBAC lets every CF user read every CFOrg.
 */
export async function listOrgs(context: RequestContext, filters: OrgFilters): Promise<Org[]> {
  const all = await context.user.list('CFOrg', { namespace: context.config.rootNamespace }).then(
    (list) => list.items,
    (error: unknown) => {
      // A caller without the root-namespace role sees no orgs rather than an error, as in Korifi.
      if (isStoreError(error, 'Forbidden')) return [];
      throw apiErrorOf(error, orgs.resourceType);
    },
  );
  const visible = await context.visibility.filter(all);
  return visible.filter((org) => isReady(org) && matchesOrgFilters(org, filters));
}

function matchesOrgFilters(org: Org, filters: OrgFilters): boolean {
  if (filters.names && !filters.names.includes(org.spec.displayName)) return false;
  if (filters.guids && !filters.guids.includes(org.metadata.name)) return false;
  return !filters.labelSelector || matchesLabelSelector(filters.labelSelector, org.metadata.labels ?? {});
}

/** The org, if the caller can see it; 404 otherwise. */
export async function getOrg(context: RequestContext, guid: string): Promise<Org> {
  const org = await readOrNotFound(context.user.get(orgRef(context, guid)), orgs.resourceType);
  if (!(await context.visibility.sees(org))) throw resourceNotFound(orgs.resourceType);
  return org;
}

export function createOrg(context: RequestContext, request: TenantCreate): Promise<Org> {
  return createTenant(context, orgs, { ...request, namespace: context.config.rootNamespace });
}

export async function updateOrg(context: RequestContext, guid: string, request: TenantUpdate): Promise<Org> {
  return updateTenant(context, orgs, () => getOrg(context, guid), request);
}

/** Starts the deletion; the org's namespace, spaces and everything in them go with it. */
export async function deleteOrg(context: RequestContext, guid: string): Promise<void> {
  await getOrg(context, guid);
  await deleteAsCallerThenAnnotateAsServer(context, orgRef(context, guid), orgs.resourceType);
}
