import type { PolicyRule } from '../objects.ts';
import type { UserInfo } from './rbac-authorizer.ts';

/**
 * Why a grant was refused, in the apiserver's words: the missing pieces with those that differ only
 * by verb merged (`CompactRules`), each as `CompactString` renders it, sorted.
 */
export function notHeldMessage(user: UserInfo, missing: readonly PolicyRule[]): string {
  const descriptions = [...new Set(compactRules(missing).map(describeRule))].sort();
  return `user ${quote(user.name)} (groups=${quoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${descriptions.join('\n')}`;
}

function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const merged = new Map<string, PolicyRule>();
  const others: PolicyRule[] = [];
  for (const rule of rules) {
    const key = simpleResourceKey(rule);
    const existing = key === undefined ? undefined : merged.get(key);
    if (key === undefined) others.push(rule);
    else if (existing === undefined) merged.set(key, { ...rule, verbs: [...rule.verbs] });
    else existing.verbs.push(...rule.verbs);
  }
  return [...others, ...merged.values()];
}

/** One group, one resource, at most one name and no URLs: pieces that may share a line. */
function simpleResourceKey(rule: PolicyRule): string | undefined {
  const names = rule.resourceNames ?? [];
  if (names.length > 1 || (rule.nonResourceURLs ?? []).length > 0) return undefined;
  if (rule.apiGroups?.length !== 1 || rule.resources?.length !== 1) return undefined;
  return JSON.stringify([rule.apiGroups[0], rule.resources[0], names[0] ?? null]);
}

function describeRule(rule: PolicyRule): string {
  const parts: [string, readonly string[] | undefined][] = [
    ['APIGroups', rule.apiGroups],
    ['Resources', rule.resources],
    ['NonResourceURLs', rule.nonResourceURLs],
    ['ResourceNames', rule.resourceNames],
    ['Verbs', rule.verbs],
  ];
  return `{${parts
    .filter(([, values]) => (values ?? []).length > 0)
    .map(([field, values]) => `${field}:${quoteList(values ?? [])}`)
    .join(', ')}}`;
}

/** Go's `%q` of a string list: `["a" "b"]`. */
function quoteList(values: readonly string[]): string {
  return `[${values.map(quote).join(' ')}]`;
}

function quote(value: string): string {
  return JSON.stringify(value);
}
