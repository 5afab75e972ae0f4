import { canNeverMatch, matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import type { StoredObject } from '../objects.ts';
import type { ListOptions } from '../port.ts';
import { isAddressableName } from '../refs.ts';

/**
 * Whether a list can match nothing for reasons the apiserver settles without listing: a label
 * selector with a requirement no label can meet (`in ()`, `=` to a value or `exists` of a key no label
 * can have), or a name or namespace no object can have (empty, `.`, `..`, with `/` or `%`). The
 * Kubernetes session answers these with an empty list authorized at the namespace only; the cache
 * leaves them to it, so that such a list is authorized exactly as there.
 */
export function settledWithoutListing(options: ListOptions): boolean {
  if (options.name !== undefined && !isAddressableName(options.name)) return true;
  if (options.namespace !== undefined && !isAddressableName(options.namespace)) return true;
  return (options.labelSelector ?? []).some(canNeverMatch);
}

/** Keeps the objects whose labels meet the selector (the apiserver's `labelSelector`). */
export function withLabels<T extends StoredObject>(objects: T[], selector: LabelSelector | undefined): T[] {
  if (selector === undefined || selector.length === 0) return objects;
  return objects.filter((object) => matchesLabelSelector(selector, object.metadata.labels ?? {}));
}
