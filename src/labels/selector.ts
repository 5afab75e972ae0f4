/**
 * Kubernetes label selectors (`labels.Parse` grammar) with CF's limits: comma-separated requirements,
 * all of which must hold; commas inside `( … )` do not split.
 */
export type Requirement =
  | { key: string; operator: 'exists' | 'notExists' }
  | { key: string; operator: 'equals' | 'notEquals'; value: string }
  | { key: string; operator: 'in' | 'notIn'; values: string[] };

export type LabelSelector = Requirement[];

/** At most this many requirements, as in CAPI. */
export const maxRequirements = 50;

/** A selector that cannot be parsed; the message says what is wrong and where. */
export class LabelSelectorError extends Error {
  override readonly name = 'LabelSelectorError';
}

const keyPattern =
  /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const valuePattern = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Whether a string can be a label key / a label value at all (Kubernetes' rules). */
export const isLabelKey = (key: string): boolean => keyPattern.test(key) && key.length <= 317;
export const isLabelValue = (value: string): boolean => valuePattern.test(value);

/**
 * Whether a requirement can match no labels at all: `exists` or `=` of a key no label can have, `=` to
 * a value no label can hold, `in` with no possible value. (Its negations match everything instead.)
 */
export function canNeverMatch(requirement: Requirement): boolean {
  switch (requirement.operator) {
    case 'exists':
      return !isLabelKey(requirement.key);
    case 'equals':
      return !isLabelKey(requirement.key) || !isLabelValue(requirement.value);
    case 'in':
      return !isLabelKey(requirement.key) || !requirement.values.some((value) => isLabelValue(value));
    default:
      return false;
  }
}

/** Parses a selector string; an empty string selects everything. */
export function parseLabelSelector(input: string): LabelSelector {
  const parts = splitRequirements(input);
  if (parts.length > maxRequirements) {
    throw new LabelSelectorError(`too many requirements (${parts.length}; the maximum is ${maxRequirements})`);
  }
  return parts.map(parseRequirement);
}

/** Whether a set of labels satisfies every requirement of the selector. */
export function matchesLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return selector.every((requirement) => matchesRequirement(requirement, labels));
}

function matchesRequirement(requirement: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const value = Object.hasOwn(labels, requirement.key) ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'exists':
      return value !== undefined;
    case 'notExists':
      return value === undefined;
    case 'equals':
      return value === requirement.value;
    case 'notEquals':
      return value !== requirement.value;
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case 'notIn':
      return value === undefined || !requirement.values.includes(value);
  }
}

function splitRequirements(input: string): string[] {
  if (input.trim() === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of input) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (depth < 0) throw new LabelSelectorError(`unbalanced ')' in "${input}"`);
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (depth !== 0) throw new LabelSelectorError(`unbalanced '(' in "${input}"`);
  parts.push(current);
  return parts.map((part) => part.trim());
}

const setPattern = /^(\S+)\s+(in|notin)\s*\((.*)\)$/;
const equalityPattern = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/;

function parseRequirement(text: string): Requirement {
  if (text === '') throw new LabelSelectorError('empty requirement');
  const set = setPattern.exec(text);
  if (set) {
    const values = set[3]!.split(',').map((value) => value.trim());
    if (values.length === 1 && values[0] === '') throw new LabelSelectorError(`"${text}" needs at least one value in its set`);
    values.forEach((value) => checkValue(value, text));
    return { key: checkKey(set[1]!, text), operator: set[2] === 'in' ? 'in' : 'notIn', values };
  }
  const equality = equalityPattern.exec(text);
  if (equality) {
    const value = equality[3]!.trim();
    checkValue(value, text);
    return { key: checkKey(equality[1]!, text), operator: equality[2] === '!=' ? 'notEquals' : 'equals', value };
  }
  if (text.startsWith('!')) return { key: checkKey(text.slice(1).trim(), text), operator: 'notExists' };
  return { key: checkKey(text, text), operator: 'exists' };
}

function checkKey(key: string, requirement: string): string {
  if (!keyPattern.test(key) || key.length > 317) {
    throw new LabelSelectorError(`"${key}" in "${requirement}" is not a valid label key`);
  }
  return key;
}

function checkValue(value: string, requirement: string): void {
  if (!valuePattern.test(value)) {
    throw new LabelSelectorError(`"${value}" in "${requirement}" is not a valid label value`);
  }
}
