import { apiVersionOf, kinds } from '../../store/kinds.ts';
import { getIfExists } from '../../store/lookups.ts';
import { isStoreError } from '../../store/errors.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { claimName, leaseOf, retryingRaces, type NameClaim } from '../names/name-claims.ts';

/**
 * Routes are unique across the platform by host (in any letter case), domain and path, as Korifi's
 * webhook keys them (`lower(host)::domain namespace::domain GUID::path`). The key is claimed with a
 * Lease in the root namespace before the CFRoute is written, so two requests (or replicas) cannot both
 * make the same route. A route lives in its space's namespace and cannot own a Lease in the root one,
 * so the claim names where its route lives and is owned by the route's domain (it goes with the domain);
 * deleting a route through the API frees it, and a claim whose route is gone some other way (its space
 * deleted) is taken over by the next route with that key.
 */
export type RouteClaim = {
  rootNamespace: string;
  host: string;
  domainGuid: string;
  /** The domain's uid, for the claim's owner reference (only needed to claim, not to free). */
  domainUid?: string;
  path: string;
  /** The route that holds the key, and the namespace (space) it lives in. */
  holder: string;
  holderNamespace: string;
};

const holderNamespaceAnnotation = 'cfapi.cloudfoundry.org/holder-namespace';
const createdAnnotation = 'cfapi.cloudfoundry.org/holder-created';
/** A claim whose route was never written (its request died between claim and create) is taken over after this. */
const abandonedAfterMs = 60_000;

type Lease = StoredObject<'Lease'>;

/** Korifi's uniqueness key; the path keeps its letter case (hex-encoded: claim names are compared lower-cased). */
const nameClaimOf = (claim: RouteClaim): NameClaim => ({
  namespace: claim.rootNamespace,
  entityType: 'cfroute',
  name: `${claim.host.toLowerCase()}::${claim.rootNamespace}::${claim.domainGuid}::${Buffer.from(claim.path).toString('hex')}`,
  holderKind: 'CFRoute',
  holder: claim.holder,
});

const leaseRef = (claim: RouteClaim) => ({ kind: 'Lease' as const, namespace: claim.rootNamespace, name: claimName(nameClaimOf(claim)) });

function routeLease(claim: RouteClaim) {
  const lease = leaseOf(nameClaimOf(claim));
  return {
    ...lease,
    metadata: {
      ...lease.metadata,
      annotations: { ...lease.metadata.annotations, [holderNamespaceAnnotation]: claim.holderNamespace },
      ownerReferences: [{ apiVersion: apiVersionOf(kinds.CFDomain), kind: 'CFDomain', name: claim.domainGuid, uid: claim.domainUid ?? '' }],
    },
  };
}

/**
 * Claims the route's key, creates the route and marks the claim as held by a route that exists.
 * Resolves to undefined, creating nothing, when another route holds the key; a failed create frees it.
 */
export async function createRouteClaimed<T extends StoredObject<'CFRoute'>>(
  server: StoreSession,
  claim: RouteClaim,
  create: () => Promise<T>,
): Promise<T | undefined> {
  if (!(await retryingRaces(() => claimOnce(server, claim), 3))) return undefined;
  let created: T;
  try {
    created = await create();
  } catch (error) {
    await releaseRouteClaim(server, claim);
    throw error;
  }
  await server.patch(leaseRef(claim), { metadata: { annotations: { [createdAnnotation]: 'true' } } });
  return created;
}

async function claimOnce(server: StoreSession, claim: RouteClaim): Promise<boolean> {
  const wanted = routeLease(claim);
  try {
    await server.create(wanted);
    return true;
  } catch (error) {
    if (!isStoreError(error, 'AlreadyExists')) throw error;
  }
  const existing = await server.get(leaseRef(claim));
  const holder = existing.spec?.holderIdentity ?? '';
  if (holder === claim.holder) return true;
  if (!(await isStale(server, existing, holder))) return false;
  // Guarded by the claim's resourceVersion: of two takers, one wins and the other starts again.
  await server.update({ ...existing, metadata: { ...existing.metadata, annotations: wanted.metadata.annotations }, spec: wanted.spec });
  return true;
}

/** Whether the claim's route is gone (deleted without the API), or never came (its request died long ago). */
async function isStale(server: StoreSession, lease: Lease, holder: string): Promise<boolean> {
  const annotations = lease.metadata.annotations ?? {};
  const namespace = annotations[holderNamespaceAnnotation] ?? '';
  if (namespace !== '' && (await getIfExists(server, { kind: 'CFRoute', namespace, name: holder })) !== undefined) return false;
  if (annotations[createdAnnotation] === 'true') return true;
  const acquired = Date.parse(lease.spec?.acquireTime ?? lease.metadata.creationTimestamp ?? '');
  return Number.isNaN(acquired) || Date.now() - acquired > abandonedAfterMs;
}

/** Frees the route's key (its route was deleted, or never written). */
export async function releaseRouteClaim(server: StoreSession, claim: RouteClaim): Promise<void> {
  try {
    const existing = await server.get(leaseRef(claim));
    if (existing.spec?.holderIdentity !== claim.holder) return;
    await server.delete(leaseRef(claim), { resourceVersion: existing.metadata.resourceVersion ?? '' });
  } catch (error) {
    if (!isStoreError(error, 'NotFound') && !isStoreError(error, 'Conflict')) throw error;
  }
}
