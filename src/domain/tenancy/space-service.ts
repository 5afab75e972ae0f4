import { resourceNotFound, unprocessableEntity } from '../../errors/api-error.ts';
import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import { getIfExists } from '../../store/lookups.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { isReady } from '../readiness.ts';
import { deleteAsCallerThenAnnotateAsServer } from '../jobs/deletion.ts';
import type { RequestContext } from '../request-context.ts';
import { referenced } from '../store-failures.ts';
import { invalidOrganization } from './reference-errors.ts';
import { getOrg } from './org-service.ts';
import { createTenant, updateTenant, type TenantCreate, type TenantKind, type TenantUpdate } from './tenant-writes.ts';

export type Space = StoredObject<'CFSpace'>;
export type SpaceFilters = {
  names?: readonly string[];
  guids?: readonly string[];
  organizationGuids?: readonly string[];
  labelSelector?: LabelSelector;
};

const spaces: TenantKind<'CFSpace'> = {
  kind: 'CFSpace',
  resourceType: 'Space',
  entityType: 'cfspace',
  duplicate: (name) => unprocessableEntity(`Space '${name}' already exists. Name must be unique per organization.`),
};

/** The org a space belongs to: the namespace it lives in. */
export const orgGuidOf = (space: Space): string => space.metadata.namespace ?? '';

/**
 * Spaces: CFSpaces in their org's namespace, each with a namespace of its own. A caller sees the ready
 * spaces whose namespace and org hold a role of theirs (an org manager's role reaches every space of
 * the org). They live in many org namespaces, so one privileged read serves them all, cut down by the
 * shared visibility rule. The spaces are the store's shared ones (`readOnly`), only to be read.
 */
export async function listSpaces(context: RequestContext, filters: SpaceFilters): Promise<Space[]> {
  // Shared and frozen on the embedded store: callers present the spaces or take their names.
  const visible = await context.visibility.list('CFSpace', { readOnly: true });
  return visible.filter((space) => isReady(space) && matchesSpaceFilters(space, filters));
}

function matchesSpaceFilters(space: Space, filters: SpaceFilters): boolean {
  if (filters.names && !filters.names.includes(space.spec.displayName)) return false;
  if (filters.guids && !filters.guids.includes(space.metadata.name)) return false;
  if (filters.organizationGuids && !filters.organizationGuids.includes(orgGuidOf(space))) return false;
  return !filters.labelSelector || matchesLabelSelector(filters.labelSelector, space.metadata.labels ?? {});
}

/**
 * The space, if the caller can see it by the same rule as the list; 404 otherwise. (Reading it back as
 * the caller would hide it from one whose org role may not read CFSpaces, an org auditor with a space
 * role, while the list shows it.)
 */
export async function getSpace(context: RequestContext, guid: string): Promise<Space> {
  const space = await findSpace(context.server, guid);
  if (space === undefined || !(await context.visibility.sees(space))) throw resourceNotFound(spaces.resourceType);
  return space;
}

/**
 * The space with this GUID, wherever it is (read as the server). GUIDs are unique unless someone wrote a
 * CFSpace of the same name into another org directly; then the space is the one whose org owns the
 * namespace of that name.
 */
export async function findSpace(server: StoreSession, guid: string): Promise<Space | undefined> {
  const found = (await server.list('CFSpace', { name: guid })).items;
  if (found.length <= 1) return found[0];
  const namespace = await getIfExists(server, { kind: 'Namespace', name: guid });
  return found.find((space) => orgGuidOf(space) === namespace?.metadata.labels?.[label('org-guid')]);
}

export async function createSpace(context: RequestContext, request: TenantCreate & { organizationGuid: string }): Promise<Space> {
  const org = await referenced(getOrg(context, request.organizationGuid), invalidOrganization);
  // An org on its way out takes no new spaces (its namespace would refuse them with a misleading 403).
  if (org.metadata.deletionTimestamp !== undefined) throw invalidOrganization();
  return createTenant(context, spaces, { name: request.name, metadata: request.metadata, namespace: org.metadata.name });
}

export async function updateSpace(context: RequestContext, guid: string, request: TenantUpdate): Promise<Space> {
  return updateTenant(context, spaces, () => getSpace(context, guid), request);
}

/** Starts the deletion; the space's namespace and everything in it go with it. */
export async function deleteSpace(context: RequestContext, guid: string): Promise<void> {
  const space = await getSpace(context, guid);
  await deleteAsCallerThenAnnotateAsServer(context, { kind: 'CFSpace', namespace: orgGuidOf(space), name: guid }, spaces.resourceType);
}
