import { serviceUnavailable } from '../errors/api-error.ts';
import { isStoreError } from '../store/errors.ts';
import { apiErrorOf } from './store-failures.ts';
import type { KindName } from '../store/kinds.ts';
import type { Condition, StoredObject } from '../store/objects.ts';
import type { Ref, StoreSession } from '../store/port.ts';

type WithConditions = { status?: { conditions?: Condition[] } };

const readyCondition = (object: StoredObject): Condition | undefined =>
  ((object as StoredObject & WithConditions).status?.conditions ?? []).find((condition) => condition.type === 'Ready');

/** Whether a controller last reported the object Ready. */
export function isReady(object: StoredObject): boolean {
  return readyCondition(object)?.status === 'True';
}

/** Ready for the object's current spec: the controller has seen this generation. */
export function isReadyAtGeneration(object: StoredObject): boolean {
  const condition = readyCondition(object);
  return condition?.status === 'True' && condition.observedGeneration === object.metadata.generation;
}

/**
 * Waits, as the caller, until a controller reports the object ready, as Korifi does after creating
 * orgs and spaces. Running out of time is a 503 that says what did not happen.
 */
export async function waitUntilReady<K extends KindName>(
  session: StoreSession,
  ref: Ref<K>,
  options: { timeoutSeconds: number; description: string; resourceType: string },
): Promise<StoredObject<K>> {
  try {
    return await session.waitFor(ref, (object: StoredObject<K>) => isReadyAtGeneration(object), {
      timeoutMs: options.timeoutSeconds * 1000,
    });
  } catch (error) {
    if (!isStoreError(error, 'Timeout')) throw apiErrorOf(error, options.resourceType);
    throw serviceUnavailable(
      `${options.description} was created but did not become ready within ${options.timeoutSeconds} seconds. ` +
        'Check that its controller (Korifi, or this server with reconcilers enabled) is running.',
    );
  }
}
