import { createHash } from 'node:crypto';
import { apiVersionOf, kinds, type KindName } from '../../store/kinds.ts';
import { getIfExists } from '../../store/lookups.ts';
import { isStoreError } from '../../store/errors.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';

/**
 * Display names that must be unique in a scope (org names in the root namespace, space names in their
 * org) are claimed with a Lease named after the lower-cased name, as Korifi's webhooks do: creating the
 * Lease is atomic on both backends, so two requests (or two server replicas) cannot both win. Once the
 * resource exists the Lease is owned by it, so the garbage collector frees the name when it goes.
 */
export type NameClaim = {
  /** The scope: the namespace the claim (and the uniqueness) lives in. */
  namespace: string;
  /** What kind of name this is (`cforg`, `cfspace`), so kinds do not collide. */
  entityType: string;
  name: string;
  /** The resource that holds the name: its kind (it lives in the claim's namespace) and GUID. */
  holderKind: KindName;
  holder: string;
};

/** A claim whose holder never appeared (its request died between claim and create) is taken over after this. */
const abandonedAfterMs = 60_000;

export function claimName(claim: NameClaim): string {
  return `cfapi-name-${createHash('sha1').update(`${claim.entityType}::${claim.name.toLowerCase()}`).digest('hex')}`;
}

/**
 * Claims the name, creates the resource that holds it, and hands it the claim. Resolves to undefined,
 * creating nothing, when another resource holds the name; a failed create frees it again.
 */
export async function createClaimed<T extends StoredObject>(
  server: StoreSession,
  claim: NameClaim,
  create: () => Promise<T>,
): Promise<T | undefined> {
  if (!(await claimFor(server, claim))) return undefined;
  let created: T;
  try {
    created = await create();
  } catch (error) {
    await releaseClaim(server, claim);
    throw error;
  }
  await bindClaim(server, claim, created);
  return created;
}

/** Claims the name for `claim.holder`. Resolves to false when another resource holds it. */
export async function claimFor(server: StoreSession, claim: NameClaim): Promise<boolean> {
  return retryingRaces(() => claimOnce(server, claim), 3);
}

/**
 * Runs one read-decide-write attempt again while it races: a claim can vanish (its owner's deletion
 * collected it) or be written by someone else between our steps, and each attempt starts afresh.
 */
export async function retryingRaces<T>(attempt: () => Promise<T>, maxAttempts: number): Promise<T> {
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt();
    } catch (error) {
      const raced = isStoreError(error, 'NotFound') || isStoreError(error, 'Conflict');
      if (!raced || attempts >= maxAttempts) throw error;
      // Writers that keep meeting on one claim spread out.
      if (attempts > 2) await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempts));
    }
  }
}

async function claimOnce(server: StoreSession, claim: NameClaim): Promise<boolean> {
  const lease = leaseOf(claim);
  try {
    await server.create(lease);
    return true;
  } catch (error) {
    if (!isStoreError(error, 'AlreadyExists')) throw error;
  }
  const existing = await server.get({ kind: 'Lease', namespace: claim.namespace, name: lease.metadata.name });
  const holder = existing.spec?.holderIdentity ?? '';
  if (holder === claim.holder) return true;
  if (!isAbandoned(existing)) return false;
  if ((await getIfExists(server, { kind: claim.holderKind, namespace: claim.namespace, name: holder })) !== undefined) return false;
  await server.update({ ...existing, metadata: { ...existing.metadata, ownerReferences: [] }, spec: lease.spec });
  return true;
}

/** Gives the claim to the resource, so it goes when the resource goes. */
export async function bindClaim(server: StoreSession, claim: NameClaim, owner: StoredObject): Promise<void> {
  await server.patch(
    { kind: 'Lease', namespace: claim.namespace, name: claimName(claim) },
    {
      metadata: {
        ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid ?? '' }],
      },
    },
  );
}

/** Frees a name this holder claimed (after a failed create, or a rename). */
export async function releaseClaim(server: StoreSession, claim: NameClaim): Promise<void> {
  const ref = { kind: 'Lease' as const, namespace: claim.namespace, name: claimName(claim) };
  try {
    const existing = await server.get(ref);
    if (existing.spec?.holderIdentity !== claim.holder) return;
    await server.delete(ref, { resourceVersion: existing.metadata.resourceVersion ?? '' });
  } catch (error) {
    if (!isStoreError(error, 'NotFound') && !isStoreError(error, 'Conflict')) throw error;
  }
}

/** The Lease that claims the name for `claim.holder`, not yet owned by anything. */
export function leaseOf(claim: NameClaim) {
  return {
    apiVersion: apiVersionOf(kinds.Lease),
    kind: 'Lease' as const,
    metadata: {
      name: claimName(claim),
      namespace: claim.namespace,
      // For people reading the cluster: what the claim is for.
      annotations: { 'cfapi.cloudfoundry.org/entity-type': claim.entityType, 'cfapi.cloudfoundry.org/name': claim.name },
    },
    spec: { holderIdentity: claim.holder, acquireTime: new Date().toISOString().replace('Z', '000Z') },
  };
}

/** A claim without an owner, made long enough ago that its request must have died. */
export function isAbandoned(lease: StoredObject<'Lease'>): boolean {
  if ((lease.metadata.ownerReferences ?? []).length > 0) return false;
  const acquired = Date.parse(lease.spec?.acquireTime ?? lease.metadata.creationTimestamp ?? '');
  return Number.isNaN(acquired) || Date.now() - acquired > abandonedAfterMs;
}
