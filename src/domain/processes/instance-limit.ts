import type { Config } from '../../config/schema.ts';
import { unprocessableEntity } from '../../errors/api-error.ts';

/** The most instances one process may want (`limits.instancesPerProcess`). */
export const instancesLimitOf = (config: Pick<Config, 'limits'>): number => config.limits.instancesPerProcess;

/**
 * Why `instances` may not be asked for (Cloud Controller's wording, after the field it names), or
 * undefined when it may. Cloud Foundry bounds instance counts with org quotas; this server has none, so
 * a configured limit keeps an absurd count from reaching the runtime, which runs every instance.
 */
export function instancesRefusal(field: string, instances: number, limit: number): string | undefined {
  return instances > limit ? `${field} must be less than or equal to ${limit}` : undefined;
}

/** Refuses (422) a desired instance count over the configured limit. */
export function checkInstancesLimit(config: Pick<Config, 'limits'>, instances: number | null | undefined): void {
  if (instances === undefined || instances === null) return;
  const refusal = instancesRefusal('instances', instances, instancesLimitOf(config));
  if (refusal !== undefined) throw unprocessableEntity(refusal);
}
