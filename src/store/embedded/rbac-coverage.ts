import type { PolicyRule } from '../objects.ts';

/**
 * Whether one set of RBAC rules covers another, as Kubernetes decides it before letting a user
 * grant permissions (`k8s.io/component-helpers/auth/rbac/validation`): each rule is broken into
 * one-group, one-resource, one-verb, one-name pieces, and every piece must be covered by a
 * single owner rule. Wildcards in the new rules are only covered by the same wildcard.
 */
export function uncoveredRules(ownerRules: readonly PolicyRule[], rules: readonly PolicyRule[]): PolicyRule[] {
  return rules.flatMap(breakdownRule).filter((piece) => !ownerRules.some((owner) => ruleCovers(owner, piece)));
}

function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const verbs = rule.verbs ?? [];
  const names = rule.resourceNames ?? [];
  const pieces = (rule.apiGroups ?? []).flatMap((group) =>
    (rule.resources ?? []).flatMap((resource) =>
      verbs.flatMap((verb) =>
        names.length === 0
          ? [{ apiGroups: [group], resources: [resource], verbs: [verb] }]
          : names.map((name) => ({ apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] })),
      ),
    ),
  );
  // Non-resource URLs only combine with verbs.
  const urls = (rule.nonResourceURLs ?? []).flatMap((url) => verbs.map((verb) => ({ nonResourceURLs: [url], verbs: [verb] })));
  return [...pieces, ...urls];
}

function ruleCovers(owner: PolicyRule, piece: PolicyRule): boolean {
  return (
    wildcardOrAll(owner.verbs, piece.verbs) &&
    wildcardOrAll(owner.apiGroups, piece.apiGroups) &&
    resourcesCovered(owner.resources ?? [], piece.resources ?? []) &&
    namesCovered(owner.resourceNames ?? [], piece.resourceNames ?? []) &&
    (piece.nonResourceURLs ?? []).every((url) => (owner.nonResourceURLs ?? []).some((ownerUrl) => urlCovers(ownerUrl, url)))
  );
}

function wildcardOrAll(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  return has(owner ?? [], '*') || hasAll(owner ?? [], wanted ?? []);
}

/** An owner rule without names covers any; one with names covers only pieces that name one of them. */
function namesCovered(owner: readonly string[], names: readonly string[]): boolean {
  return owner.length === 0 || (names.length > 0 && hasAll(owner, names));
}

/** `*` covers every resource; `*` before a subresource (as in `*` + `/status`) covers it on every resource. */
function resourcesCovered(owner: readonly string[], resources: readonly string[]): boolean {
  if (has(owner, '*')) return true;
  return resources.every((resource) => {
    if (has(owner, resource)) return true;
    const slash = resource.indexOf('/');
    return slash >= 0 && has(owner, `*${resource.slice(slash)}`);
  });
}

/** A URL rule ending in `*` covers every URL with that prefix. */
function urlCovers(owner: string, url: string): boolean {
  return owner === url || (owner.endsWith('*') && url.startsWith(owner.replace(/\*+$/, '')));
}

function has(values: readonly string[], value: string): boolean {
  return values.includes(value);
}

function hasAll(values: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((value) => values.includes(value));
}
