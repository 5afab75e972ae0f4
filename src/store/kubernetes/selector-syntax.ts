import type { LabelSelector, Requirement } from '../../labels/selector.ts';

/**
 * A selector in the apiserver's `labelSelector` syntax, or `null` when it can match nothing: the
 * apiserver refuses `in ()`, which the port allows to mean "none of these" (e.g. no visible spaces).
 */
export function labelSelectorQuery(selector: LabelSelector | undefined): string | null | undefined {
  if (!selector || selector.length === 0) return undefined;
  if (selector.some((requirement) => requirement.operator === 'in' && requirement.values.length === 0)) return null;
  return selector
    .filter((requirement) => !(requirement.operator === 'notIn' && requirement.values.length === 0))
    .map(formatRequirement)
    .join(',');
}

function formatRequirement(requirement: Requirement): string {
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
