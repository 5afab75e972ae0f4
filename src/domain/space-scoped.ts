import { resourceNotFound } from '../errors/api-error.ts';
import { isStoreError } from '../store/errors.ts';
import type { KindName } from '../store/kinds.ts';
import type { StoredObject } from '../store/objects.ts';
import type { RequestContext } from './request-context.ts';
import { apiErrorOf, readOrNotFound } from './store-failures.ts';
import { listSpaces } from './tenancy/space-service.ts';

/** The kinds that live in a space's namespace and are read per space. */
export type SpaceScopedKind =
  'CFApp' | 'CFPackage' | 'CFBuild' | 'CFProcess' | 'CFTask' | 'CFRoute' | 'CFServiceInstance' | 'CFServiceBinding';

export type SpaceFilters = { spaceGuids?: readonly string[]; organizationGuids?: readonly string[] };

/**
 * Every object of the kind in the spaces the caller sees (narrowed by `filters`), read as the caller
 * one space at a time, as Korifi does: a space whose objects of this kind the caller's roles may not
 * read (an org manager's apps) contributes none. The objects are the store's shared ones (`readOnly`,
 * frozen on the embedded store): lists only filter, sort and present them, and a list of thousands
 * would otherwise copy every one for the page of 50 it shows.
 */
export async function listInVisibleSpaces<K extends SpaceScopedKind>(
  context: RequestContext,
  kind: K,
  filters: SpaceFilters,
  resourceType: string,
): Promise<StoredObject<K>[]> {
  const spaceFilters = {
    ...(filters.spaceGuids ? { guids: filters.spaceGuids } : {}),
    ...(filters.organizationGuids ? { organizationGuids: filters.organizationGuids } : {}),
  };
  const spaces = await listSpaces(context, spaceFilters);
  const perSpace = await Promise.all(spaces.map((space) => listInSpace(context, kind, space.metadata.name, resourceType)));
  return concatenated(perSpace);
}

/** One array of all the lists' items, in order: over 100 spaces of 100 apps, `flat` took about 7 times as long. */
function concatenated<T>(lists: readonly (readonly T[])[]): T[] {
  let total = 0;
  for (const list of lists) total += list.length;
  const all = new Array<T>(total);
  let next = 0;
  for (let listIndex = 0; listIndex < lists.length; listIndex++) {
    const list = lists[listIndex]!;
    for (let index = 0; index < list.length; index++) all[next++] = list[index]!;
  }
  return all;
}

async function listInSpace<K extends KindName>(
  context: RequestContext,
  kind: K,
  namespace: string,
  resourceType: string,
): Promise<StoredObject<K>[]> {
  try {
    return (await context.user.list(kind, { namespace, readOnly: true })).items;
  } catch (error) {
    if (isStoreError(error, 'Forbidden')) return [];
    throw apiErrorOf(error, resourceType);
  }
}

/**
 * The object with this GUID (its name), read as the caller; 404 with `resourceType` when it does not
 * exist or they may not read it. Where it lives is looked up as the server (callers cannot search every
 * namespace), cut down by the visibility rule first.
 */
export function getVisibleByGuid<K extends SpaceScopedKind>(
  context: RequestContext,
  kind: K,
  guid: string,
  resourceType: string,
): Promise<StoredObject<K>> {
  return readVisible(context, { kind, guid, resourceType, readOnly: false });
}

/** As getVisibleByGuid, but the object may be the store's shared, frozen one: for callers that only present it. */
export function getVisibleByGuidReadOnly<K extends SpaceScopedKind>(
  context: RequestContext,
  kind: K,
  guid: string,
  resourceType: string,
): Promise<StoredObject<K>> {
  return readVisible(context, { kind, guid, resourceType, readOnly: true });
}

async function readVisible<K extends SpaceScopedKind>(
  context: RequestContext,
  { kind, guid, resourceType, readOnly }: { kind: K; guid: string; resourceType: string; readOnly: boolean },
): Promise<StoredObject<K>> {
  const [found] = await context.visibility.filter((await context.server.list(kind, { name: guid, readOnly: true })).items);
  if (found === undefined) throw resourceNotFound(resourceType);
  const ref = { kind, namespace: found.metadata.namespace ?? '', name: guid };
  return readOrNotFound(context.user.get(ref, { readOnly }), resourceType);
}
