import { canNeverMatch, isLabelKey, isLabelValue, type LabelSelector, type Requirement } from '../../labels/selector.ts';

/**
 * A selector in the apiserver's `labelSelector` syntax, or `null` when it can match nothing. Keys
 * and values no label can have are resolved here, as literal matching would (the embedded store's
 * way): `in ()`, `=` to an impossible value or `exists` of an impossible key match nothing; their
 * negations match everything and are dropped. So a value such as `a,b=c` can never inject a
 * requirement, and the apiserver never sees `in ()`, which it refuses.
 */
export function labelSelectorQuery(selector: LabelSelector | undefined): string | null | undefined {
  if (!selector || selector.length === 0) return undefined;
  const parts: string[] = [];
  for (const requirement of selector) {
    const resolved = resolve(requirement);
    if (resolved === null) return null;
    if (resolved !== undefined) parts.push(format(resolved));
  }
  return parts.length === 0 ? undefined : parts.join(',');
}

/** The requirement limited to possible keys and values; null = matches nothing, undefined = matches everything. */
function resolve(requirement: Requirement): Requirement | null | undefined {
  if (canNeverMatch(requirement)) return null;
  // What is left with a key no label can have is a negation, which every object meets.
  if (!isLabelKey(requirement.key)) return undefined;
  switch (requirement.operator) {
    case 'notEquals':
      return isLabelValue(requirement.value) ? requirement : undefined;
    case 'in':
      return { ...requirement, values: requirement.values.filter((value) => isLabelValue(value)) };
    case 'notIn': {
      const values = requirement.values.filter((value) => isLabelValue(value));
      return values.length === 0 ? undefined : { ...requirement, values };
    }
    default:
      return requirement;
  }
}

function format(requirement: Requirement): string {
  switch (requirement.operator) {
    case 'exists':
      return requirement.key;
    case 'notExists':
      return `!${requirement.key}`;
    case 'equals':
      return `${requirement.key}=${requirement.value}`;
    case 'notEquals':
      return `${requirement.key}!=${requirement.value}`;
    case 'in':
      return `${requirement.key} in (${requirement.values.join(',')})`;
    case 'notIn':
      return `${requirement.key} notin (${requirement.values.join(',')})`;
  }
}

/** A field selector value, escaped as the apiserver's `fields.EscapeValue` does. */
export function fieldSelectorValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll(',', '\\,').replaceAll('=', '\\=');
}
