import type { StoredObject } from '../store/objects.ts';
import type { Ref, StoreSession } from '../store/port.ts';
import { refOf } from '../store/refs.ts';
import { ensureFinalizer, removeFinalizer } from './finalizers.ts';
import type { TenancyKind } from './object-keys.ts';
import { deleteOwnedNamespace, ensureOwnedNamespace, isActiveNamespace, type NotReady, type OwnedNamespace } from './owned-namespace.ts';
import { readyStatusPatch } from './ready-status.ts';
import { propagateRoleBindings } from './role-binding-propagation.ts';
import { getIfExists } from '../store/lookups.ts';
import { isDeleting } from './store-helpers.ts';
import type { TenancyLevel } from './tenancy-levels.ts';
import type { ReconcileOutcome } from './work-queue.ts';

type Tenancy = StoredObject<TenancyKind>;

export type ReconcileContext = { session: StoreSession; rootNamespace: string };

/**
 * How soon to look again at an object that waits for something no event of ours announces for sure
 * (a namespace finishing its deletion); the namespace watch usually brings it back sooner.
 */
export const waitingRequeueMs = 5_000;

/**
 * What Korifi's org and space controllers do for one object: hold it with a finalizer, give it its
 * namespace with its bindings copied from the parent namespace, and say Ready; once it is being
 * deleted, delete the namespace and let it go when the namespace is gone. Idempotent: it reads
 * everything afresh, so any number of runs (and of replicas) converge.
 */
export async function reconcileTenancy(context: ReconcileContext, level: TenancyLevel, ref: Ref<TenancyKind>): Promise<ReconcileOutcome> {
  const { session } = context;
  const object = await getIfExists(session, ref);
  if (object === undefined || !(await isOurs(context, object))) return undefined;
  const owned: OwnedNamespace = { name: object.metadata.name, ownerLabels: level.ownerLabels(object), marks: level.namespaceMarks(object) };
  if (isDeleting(object)) return finalize(session, level, object, owned);
  const current = await ensureFinalizer(session, object, level.finalizer);
  const notReady = await provision(session, current, owned);
  const status = readyStatusPatch(current, notReady, new Date());
  if (status !== undefined) await session.patchStatus(refOf(current), status, { resourceVersion: current.metadata.resourceVersion! });
  return notReady === undefined ? undefined : { requeueAfterMs: waitingRequeueMs };
}

/** Orgs of our root namespace, and spaces of those orgs (other roots' objects are not ours to touch). */
async function isOurs(context: ReconcileContext, object: Tenancy): Promise<boolean> {
  const namespace = object.metadata.namespace ?? '';
  if (object.kind === 'CFOrg') return namespace === context.rootNamespace;
  return (await getIfExists(context.session, { kind: 'CFOrg', namespace: context.rootNamespace, name: namespace })) !== undefined;
}

async function provision(session: StoreSession, object: Tenancy, owned: OwnedNamespace): Promise<NotReady | undefined> {
  const parent = object.metadata.namespace ?? '';
  // A space of an org being deleted is about to be deleted too; no new namespace for it.
  if (!(await isActiveNamespace(session, parent))) {
    return { reason: 'ParentNamespaceTerminating', message: `namespace ${parent} is being deleted` };
  }
  const blocked = await ensureOwnedNamespace(session, owned);
  if (blocked !== undefined) return blocked;
  await propagateRoleBindings(session, parent, owned.name);
  return undefined;
}

async function finalize(session: StoreSession, level: TenancyLevel, object: Tenancy, owned: OwnedNamespace): Promise<ReconcileOutcome> {
  // Without our finalizer the object is not waiting for us (and none may be added now).
  if (!(object.metadata.finalizers ?? []).includes(level.finalizer)) return undefined;
  if (!(await deleteOwnedNamespace(session, owned))) return { requeueAfterMs: waitingRequeueMs };
  await removeFinalizer(session, object, level.finalizer);
  return undefined;
}
