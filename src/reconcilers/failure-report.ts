import type { Logger } from '../logger.ts';
import { isStoreError, type StoreErrorReason } from '../store/errors.ts';

/** How many races in a row are retried quietly before they are worth a warning. */
const quietRaceRetries = 10;

/**
 * Logs a failed reconcile (the work queue retries it): a race with another writer (another replica, a
 * user) that the next run resolves by reading again is a debug line for its first retries, anything
 * else a warning. `races` are the store errors that count as such races for this controller.
 */
export function reportReconcileFailure(
  logger: Logger,
  failure: { key: string; error: unknown; failures: number },
  races: readonly StoreErrorReason[],
): void {
  const { key, error, failures } = failure;
  const isRace = races.some((reason) => isStoreError(error, reason));
  if (isRace && failures < quietRaceRetries) logger.debug({ key, err: error }, 'reconcile raced another writer; retrying');
  else logger.warn({ key, err: error, failures }, 'reconcile failed; retrying');
}
