import type { Condition } from '../../store/objects.ts';

/** A condition as a reconciler wants it; `lastTransitionTime` is kept unless its status flips. */
export type WantedCondition = Omit<Condition, 'lastTransitionTime'>;

/** metav1.Time: RFC 3339 in whole seconds. */
export const conditionTime = (now: Date): string => now.toISOString().replace(/\.\d+Z$/, 'Z');

export const conditionOf = (conditions: readonly Condition[] | undefined, type: string): Condition | undefined =>
  conditions?.find((condition) => condition.type === type);

export const isConditionTrue = (conditions: readonly Condition[] | undefined, type: string): boolean =>
  conditionOf(conditions, type)?.status === 'True';

/**
 * The conditions with each wanted one set, or undefined when they all hold already (so a reconcile
 * that changes nothing writes nothing).
 */
export function withConditions(
  conditions: readonly Condition[] | undefined,
  wanted: readonly WantedCondition[],
  now: Date,
): Condition[] | undefined {
  let changed = false;
  const result = [...(conditions ?? [])];
  for (const condition of wanted) {
    const index = result.findIndex((existing) => existing.type === condition.type);
    const previous = index === -1 ? undefined : result[index];
    if (previous !== undefined && sameCondition(previous, condition)) continue;
    changed = true;
    const lastTransitionTime = previous?.status === condition.status ? previous.lastTransitionTime : conditionTime(now);
    const next = { ...condition, lastTransitionTime };
    if (index === -1) result.push(next);
    else result[index] = next;
  }
  return changed ? result : undefined;
}

const sameCondition = (previous: Condition, wanted: WantedCondition): boolean =>
  previous.status === wanted.status &&
  previous.reason === wanted.reason &&
  previous.message === wanted.message &&
  previous.observedGeneration === wanted.observedGeneration;
