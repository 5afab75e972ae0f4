import { randomUUID } from 'node:crypto';
import { notAuthorized, type ApiError } from '../../errors/api-error.ts';
import { isStoreError } from '../../store/errors.ts';
import type { NewObject, StoredObject } from '../../store/objects.ts';
import type { Ref } from '../../store/port.ts';
import { metadataOfCreate, metadataPatchOf } from '../metadata-writes.ts';
import { bindClaim, claimFor, createClaimed, releaseClaim, type NameClaim } from '../names/name-claims.ts';
import { waitUntilReady } from '../readiness.ts';
import type { RequestContext } from '../request-context.ts';
import { asCfError, mayI } from '../store-failures.ts';

export type TenantKindName = 'CFOrg' | 'CFSpace';

/** What differs between orgs and spaces when they are written. */
export type TenantKind<K extends TenantKindName> = {
  kind: K;
  resourceType: string;
  entityType: string;
  duplicate: (name: string) => ApiError;
};

type Metadata = { labels?: Record<string, string>; annotations?: Record<string, string> };
type MetadataUpdate = { labels?: Record<string, string | null>; annotations?: Record<string, string | null> };

/** A create request's name and user metadata. */
export type TenantCreate = { name: string; metadata?: Metadata | undefined };
/** An update request: a new name and metadata changes, both optional. */
export type TenantUpdate = { name?: string | undefined; metadata?: MetadataUpdate | undefined };

const nameClaim = <K extends TenantKindName>(tenant: TenantKind<K>, namespace: string, holder: string, name: string): NameClaim => ({
  namespace,
  entityType: tenant.entityType,
  name,
  holderKind: tenant.kind,
  holder,
});

/**
 * Creates an org or space as the caller: claims its name in the namespace it lives in, writes it, hands
 * the claim to it, then waits until its controller made its namespace and reported it ready.
 */
export async function createTenant<K extends TenantKindName>(
  context: RequestContext,
  tenant: TenantKind<K>,
  request: TenantCreate & { namespace: string },
): Promise<StoredObject<K>> {
  // Asked first, so that whether a name is taken is never told to someone who may not create here.
  if (!(await mayI(context, 'create', { kind: tenant.kind, namespace: request.namespace }, tenant.resourceType))) throw notAuthorized();
  const guid = randomUUID();
  const ref: Ref<K> = { kind: tenant.kind, namespace: request.namespace, name: guid };
  // Orgs and spaces have the same shape; only the kind differs.
  const object = {
    kind: tenant.kind,
    metadata: { name: guid, namespace: request.namespace, ...metadataOfCreate(request.metadata) },
    spec: { displayName: request.name },
  } as NewObject<K>;
  const claim = nameClaim(tenant, request.namespace, guid, request.name);
  const created = await asCfError(
    createClaimed(context.server, claim, () => context.user.create<K>(object)),
    tenant.resourceType,
  );
  if (created === undefined) throw tenant.duplicate(request.name);
  return waitUntilReady(context.user, ref, {
    timeoutSeconds: context.config.readyTimeoutSeconds,
    description: `${tenant.resourceType} '${request.name}'`,
    resourceType: tenant.resourceType,
  });
}

/**
 * Renames (moving the name claim) and relabels an org or space as the caller. A rename applies only to
 * the version it was checked against; if another write came first, it starts again from a fresh read,
 * so two renames at once cannot leave a name claimed by an object that does not carry it.
 */
export async function updateTenant<K extends TenantKindName>(
  context: RequestContext,
  tenant: TenantKind<K>,
  load: () => Promise<StoredObject<K>>,
  request: TenantUpdate,
): Promise<StoredObject<K>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await updateOnce(context, tenant, await load(), request);
    } catch (error) {
      if (!isStoreError(error, 'Conflict') || attempt >= maxUpdateAttempts) throw error;
    }
  }
}

const maxUpdateAttempts = 3;

async function updateOnce<K extends TenantKindName>(
  context: RequestContext,
  tenant: TenantKind<K>,
  current: StoredObject<K>,
  request: TenantUpdate,
): Promise<StoredObject<K>> {
  const { name: guid, namespace = '' } = current.metadata;
  const change = changeOf(tenant, current, request);
  if (!(await mayI(context, 'patch', { kind: tenant.kind, namespace, name: guid }, tenant.resourceType))) throw notAuthorized();
  if (change.newName && !(await claimFor(context.server, change.newName))) throw tenant.duplicate(change.newName.name);
  let updated: StoredObject<K>;
  try {
    updated = await asCfError(
      context.user.patch({ kind: tenant.kind, namespace, name: guid }, change.patch, change.preconditions),
      tenant.resourceType,
    );
  } catch (error) {
    // A change of letter case claims the name the object already holds: that claim stays its own.
    if (change.newName && !sameName(change.newName.name, current.spec.displayName)) await releaseClaim(context.server, change.newName);
    throw error;
  }
  if (change.newName) await moveClaim(context, change.newName, updated, current.spec.displayName);
  return updated;
}

/** The patch an update makes; a rename also needs a claim and applies only to the version it was checked on. */
function changeOf<K extends TenantKindName>(tenant: TenantKind<K>, current: StoredObject<K>, request: TenantUpdate) {
  const { name: guid, namespace = '', resourceVersion = '' } = current.metadata;
  const metadata = metadataPatchOf(request.metadata);
  if (request.name === undefined || request.name === current.spec.displayName) return { patch: { metadata }, preconditions: {} };
  return {
    patch: { metadata, spec: { displayName: request.name } },
    preconditions: { resourceVersion },
    newName: nameClaim(tenant, namespace, guid, request.name),
  };
}

/** Hands the new name's claim to the renamed object and frees the old name. */
async function moveClaim(context: RequestContext, newName: NameClaim, renamed: StoredObject, oldName: string): Promise<void> {
  await bindClaim(context.server, newName, renamed);
  // A change of letter case only keeps the same claim; any other rename frees the old name.
  if (!sameName(newName.name, oldName)) await releaseClaim(context.server, { ...newName, name: oldName });
}

/** Names are claimed regardless of letter case. */
const sameName = (one: string, other: string) => one.toLowerCase() === other.toLowerCase();
