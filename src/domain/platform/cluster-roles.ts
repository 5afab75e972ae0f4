import { isStoreError, storeErrors } from '../../store/errors.ts';
import { jsonEqual } from '../../store/json-equal.ts';
import type { NewObject, StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { retryOnConflict } from './idempotent-writes.ts';

export type ClusterRoleChange = 'created' | 'updated' | 'unchanged';

/**
 * Makes the stored ClusterRole carry `desired`'s rules and labels: creates it when missing, updates it
 * when it differs (labels others set are kept), leaves it alone otherwise.
 */
export async function ensureClusterRole(session: StoreSession, desired: NewObject<'ClusterRole'>): Promise<ClusterRoleChange> {
  const ref = { kind: 'ClusterRole', name: desired.metadata.name } as const;
  return retryOnConflict(async () => {
    const current = await session.get(ref).catch((error: unknown) => {
      if (isStoreError(error, 'NotFound')) return undefined;
      throw error;
    });
    if (current === undefined) return createOrRetry(session, desired);
    const labels = { ...current.metadata.labels, ...desired.metadata.labels };
    if (jsonEqual(current.rules ?? [], desired.rules ?? []) && jsonEqual(current.metadata.labels ?? {}, labels)) return 'unchanged';
    const next: StoredObject<'ClusterRole'> = { ...current, metadata: { ...current.metadata, labels }, rules: desired.rules ?? [] };
    await session.update(next);
    return 'updated';
  });
}

/** Another process may create it between our read and our create: then read it again (as a Conflict). */
async function createOrRetry(session: StoreSession, desired: NewObject<'ClusterRole'>): Promise<ClusterRoleChange> {
  try {
    await session.create(desired);
    return 'created';
  } catch (error) {
    if (isStoreError(error, 'AlreadyExists')) throw storeErrors.conflict('clusterroles.rbac.authorization.k8s.io', desired.metadata.name);
    throw error;
  }
}
