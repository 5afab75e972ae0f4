import { apiVersionOf, kinds } from '../../store/kinds.ts';
import { getIfExists } from '../../store/lookups.ts';
import { isStoreError } from '../../store/errors.ts';
import type { OwnerReference, StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { bindClaim, claimName, isAbandoned, leaseOf, releaseClaim, retryingRaces, type NameClaim } from '../names/name-claims.ts';

/**
 * Domain names are unique and may not overlap (one a subdomain of the other, as Korifi's webhook
 * refuses them); siblings such as `x.a.com` and `y.a.com` may both exist. Both rules hold atomically,
 * on both backends and across replicas, with one Lease per name, as for org and space names:
 *
 * - a domain claims its own name (the Lease holds the domain, as other name claims do), and
 * - every ancestor name of two or more labels (`a.com` for `x.a.com`; single labels are never domains)
 *   with a shared claim "there are domains below": a Lease marked `subdomains` that every domain
 *   below adds its own name's Lease to as an owner.
 *
 * So a domain and one of its subdomains always meet on the same Lease, the parent's, and every write
 * to a Lease is guarded by its resourceVersion: whoever writes first wins, the other sees it. The
 * claims go with the domain: its own claim is owned by the domain, and the shared claims above by its
 * own claim, so the garbage collector removes each domain's part (and a shared claim with its last owner).
 */
export type DomainNameClaim = NameClaim & { holderKind: 'CFDomain' };

/** Why a domain was not created: its name is another domain's, or it overlaps one. */
export type DomainClaimRefusal = 'inUse' | 'overlaps';

const holdsAnnotation = 'cfapi.cloudfoundry.org/holds';
const lastClaimedByAnnotation = 'cfapi.cloudfoundry.org/last-claimed-by';
const heldBelow = 'subdomains';
/** Many domains below one parent may claim it at once; they take turns. */
const maxAttempts = 12;

type Lease = StoredObject<'Lease'>;

/** The names above a domain name that could be domains too: `x.y.a.com` → `y.a.com`, `a.com`. */
export function ancestorsOf(name: string): string[] {
  const labels = name.split('.');
  return labels.slice(1, -1).map((_, index) => labels.slice(index + 1).join('.'));
}

/**
 * Claims the domain's name and every ancestor's, creates the domain and gives it its claim. Resolves
 * to why not, creating nothing, when the name is in use or overlaps another domain's; any failure frees
 * what was claimed.
 */
export async function createDomainClaimed<T extends StoredObject<'CFDomain'>>(
  server: StoreSession,
  claim: DomainNameClaim,
  create: () => Promise<T>,
): Promise<T | DomainClaimRefusal> {
  const own = await retryingRaces(() => claimOwnName(server, claim), maxAttempts);
  if (own === 'inUse' || own === 'overlaps') return own;
  const above: string[] = [];
  try {
    for (const ancestor of ancestorsOf(claim.name)) {
      if (!(await retryingRaces(() => claimBelow(server, claim, ancestor, own), maxAttempts))) {
        await release(server, claim, above, own);
        return 'overlaps';
      }
      above.push(ancestor);
    }
    const created = await create();
    await bindClaim(server, claim, created);
    return created;
  } catch (error) {
    await release(server, claim, above, own);
    throw error;
  }
}

const leaseRef = (claim: DomainNameClaim, name: string) => ({
  kind: 'Lease' as const,
  namespace: claim.namespace,
  name: claimName({ ...claim, name }),
});
const isHeldBelow = (lease: Lease) => lease.metadata.annotations?.[holdsAnnotation] === heldBelow;
const ownerRefOf = (lease: Lease): OwnerReference => ({
  apiVersion: apiVersionOf(kinds.Lease),
  kind: 'Lease',
  name: lease.metadata.name,
  uid: lease.metadata.uid ?? '',
});

/** The domain's own name: free, or held by a domain that is gone, or by no live domain below it. */
async function claimOwnName(server: StoreSession, claim: DomainNameClaim): Promise<Lease | DomainClaimRefusal> {
  const lease = leaseOf(claim);
  try {
    return await server.create(lease);
  } catch (error) {
    if (!isStoreError(error, 'AlreadyExists')) throw error;
  }
  const existing = await server.get(leaseRef(claim, claim.name));
  if (isHeldBelow(existing)) {
    if (await hasLiveDomainBelow(server, claim, existing)) return 'overlaps';
  } else if (existing.spec?.holderIdentity === claim.holder) {
    return existing;
  } else if (await holdsLiveDomain(server, claim, existing)) {
    return 'inUse';
  }
  // Guarded by the resourceVersion read: a domain below that claimed since makes this a Conflict.
  return server.update({
    ...existing,
    metadata: { ...existing.metadata, ownerReferences: [], annotations: lease.metadata.annotations },
    spec: lease.spec,
  });
}

/** Adds the domain's own claim to the shared claim on `ancestor`; false when `ancestor` is a live domain. */
async function claimBelow(server: StoreSession, claim: DomainNameClaim, ancestor: string, own: Lease): Promise<boolean> {
  const ref = leaseRef(claim, ancestor);
  const annotations = {
    ...leaseOf({ ...claim, name: ancestor }).metadata.annotations,
    [holdsAnnotation]: heldBelow,
    // Every claim writes the Lease, even when our owner reference is already there (a claim taken
    // over from a dead holder of our name): that write is what a parent's claim collides with.
    [lastClaimedByAnnotation]: claim.holder,
  };
  const spec = { renewTime: microTime(new Date()) };
  try {
    const metadata = { name: ref.name, namespace: ref.namespace, annotations, ownerReferences: [ownerRefOf(own)] };
    await server.create({ kind: 'Lease', metadata, spec });
    return true;
  } catch (error) {
    if (!isStoreError(error, 'AlreadyExists')) throw error;
  }
  const existing = await server.get(ref);
  if (!isHeldBelow(existing) && (await holdsLiveDomain(server, claim, existing))) return false;
  const others = isHeldBelow(existing) ? (existing.metadata.ownerReferences ?? []).filter((owner) => owner.uid !== own.metadata.uid) : [];
  await server.update({
    ...existing,
    metadata: { ...existing.metadata, annotations, ownerReferences: [...others, ownerRefOf(own)] },
    spec,
  });
  return true;
}

/** Whether any owner of a shared claim is the live claim of a domain's own name. */
async function hasLiveDomainBelow(server: StoreSession, claim: DomainNameClaim, shared: Lease): Promise<boolean> {
  for (const owner of shared.metadata.ownerReferences ?? []) {
    const below = await getIfExists(server, { kind: 'Lease', namespace: claim.namespace, name: owner.name });
    // A shared claim among the owners stands for nothing: every domain below owns each of its ancestors' claims itself.
    if (below?.metadata.uid === owner.uid && !isHeldBelow(below) && (await holdsLiveDomain(server, claim, below))) return true;
  }
  return false;
}

/**
 * Whether a claim of a domain's own name still stands: its domain exists (being deleted counts), or it
 * was made recently and its request may still create the domain.
 */
async function holdsLiveDomain(server: StoreSession, claim: DomainNameClaim, lease: Lease): Promise<boolean> {
  const owners = (lease.metadata.ownerReferences ?? []).filter((owner) => owner.kind === claim.holderKind);
  const holder = lease.spec?.holderIdentity ?? '';
  if (owners.length === 0 && !isAbandoned(lease)) return true;
  const candidates = owners.length > 0 ? owners : holder === '' ? [] : [{ name: holder, uid: undefined }];
  for (const { name, uid } of candidates) {
    const domain = await getIfExists(server, { kind: claim.holderKind, namespace: claim.namespace, name });
    if (domain !== undefined && (uid === undefined || domain.metadata.uid === uid)) return true;
  }
  return false;
}

/** Frees what a domain that will not be created claimed: its owner reference on each ancestor, then its own name. */
async function release(server: StoreSession, claim: DomainNameClaim, ancestors: readonly string[], own: Lease): Promise<void> {
  for (const ancestor of [...ancestors].reverse()) {
    // Best effort: once our own claim is gone, the garbage collector removes the reference anyway.
    await retryingRaces(() => leaveShared(server, claim, ancestor, own), maxAttempts).catch(() => undefined);
  }
  await releaseClaim(server, claim);
}

async function leaveShared(server: StoreSession, claim: DomainNameClaim, ancestor: string, own: Lease): Promise<void> {
  const existing = await getIfExists(server, leaseRef(claim, ancestor));
  if (existing === undefined || !isHeldBelow(existing)) return;
  const owners = existing.metadata.ownerReferences ?? [];
  const others = owners.filter((owner) => owner.uid !== own.metadata.uid);
  if (others.length === owners.length) return;
  if (others.length === 0) await server.delete(leaseRef(claim, ancestor), { resourceVersion: existing.metadata.resourceVersion ?? '' });
  else await server.update({ ...existing, metadata: { ...existing.metadata, ownerReferences: others } });
}

/** A Lease time: RFC 3339 with microseconds. */
function microTime(date: Date): string {
  return date.toISOString().replace('Z', '000Z');
}
