import type { Condition, StoredObject } from '../store/objects.ts';
import type { MergePatch } from '../store/port.ts';
import type { TenancyKind } from './object-keys.ts';
import type { NotReady } from './owned-namespace.ts';

type Tenancy = StoredObject<TenancyKind>;
type ReadyCondition = Omit<Condition, 'lastTransitionTime'> & { observedGeneration: number };

/** metav1.Time: RFC 3339 in whole seconds. */
const conditionTime = (now: Date) => now.toISOString().replace(/\.\d+Z$/, 'Z');

const readyOf = (object: Tenancy) => object.status?.conditions?.find((condition) => condition.type === 'Ready');

/**
 * The status an org or space must have: its GUID, the generation it reflects, and a Ready condition
 * (True, or False with why not). Undefined when it has it already; the condition keeps its
 * lastTransitionTime unless its status flips.
 */
export function readyStatusPatch(object: Tenancy, notReady: NotReady | undefined, now: Date): MergePatch | undefined {
  const wanted: ReadyCondition = {
    type: 'Ready',
    status: notReady === undefined ? 'True' : 'False',
    reason: notReady?.reason ?? 'Ready',
    message: notReady?.message ?? '',
    observedGeneration: object.metadata.generation ?? 0,
  };
  if (hasStatus(object, wanted)) return undefined;
  const previous = readyOf(object);
  const lastTransitionTime = previous?.status === wanted.status ? previous.lastTransitionTime : conditionTime(now);
  const others = (object.status?.conditions ?? []).filter((condition) => condition !== previous);
  return {
    guid: object.metadata.name,
    observedGeneration: wanted.observedGeneration,
    conditions: [...others, { ...wanted, lastTransitionTime }],
  };
}

function hasStatus(object: Tenancy, wanted: ReadyCondition): boolean {
  const previous = readyOf(object);
  const sameCondition =
    previous?.status === wanted.status &&
    previous.reason === wanted.reason &&
    previous.message === wanted.message &&
    previous.observedGeneration === wanted.observedGeneration;
  return sameCondition && object.status?.guid === object.metadata.name && object.status.observedGeneration === wanted.observedGeneration;
}
