import { isStoreError } from '../../store/errors.ts';

/**
 * Start-up writes that several server processes may make at once (replicas on one cluster): a create
 * that loses the race is as good as one that wins, and an update that hits a Conflict is redone from a
 * fresh read.
 */

/** Creates something, answering whether this call created it (false when it already existed). */
export async function createUnlessExists(create: () => Promise<unknown>): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (error) {
    if (isStoreError(error, 'AlreadyExists')) return false;
    throw error;
  }
}

const conflictAttempts = 5;

/** Runs `attempt` again while it fails with a Conflict (each attempt must read what it writes afresh). */
export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isStoreError(error, 'Conflict') || tries >= conflictAttempts) throw error;
    }
  }
}
