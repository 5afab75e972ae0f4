import type { SQLInputValue } from 'node:sqlite';
import type { Requirement, LabelSelector } from '../../labels/selector.ts';
import type { KindName } from '../kinds.ts';

export type ListFilter = { namespace?: string | undefined; name?: string | undefined; labelSelector?: LabelSelector | undefined };
/** A list's SQL (selecting row ids) and its parameters, for objects of `kind`; `key` names the pair. */
export type ListQuery = { kind: KindName; sql: string; params: SQLInputValue[]; key: string };

/** A requirement that only objects carrying the label can meet, so the labels index can find them. */
type Positive =
  | { key: string; operator: 'exists' }
  | { key: string; operator: 'equals'; value: string }
  | { key: string; operator: 'in'; values: string[] };

function asPositive(requirement: Requirement): Positive | undefined {
  if (requirement.operator === 'exists') return { key: requirement.key, operator: 'exists' };
  if (requirement.operator === 'equals') return { key: requirement.key, operator: 'equals', value: requirement.value };
  if (requirement.operator === 'in') return { key: requirement.key, operator: 'in', values: requirement.values };
  return undefined;
}

/**
 * The SQL for a list, selecting the rows' `id` in etcd key order (namespace, then name). Every label
 * requirement becomes SQL: one positive requirement drives the query through the labels index
 * (the one likely to match fewest objects: an equality, else the smallest set), the others are
 * checked per candidate by primary-key probes of the labels table, so no JSON is parsed for
 * objects that do not match. Without a usable requirement the name, namespace or kind index drives.
 */
export function planList(kind: KindName, filter: ListFilter): ListQuery {
  const selector = filter.labelSelector ?? [];
  const driver = filter.name === undefined ? drivingRequirement(selector, filter.namespace !== undefined) : undefined;
  const params: SQLInputValue[] = [];
  const where: string[] = [];
  const from = driver === undefined ? objectsFrom(filter) : 'labels l CROSS JOIN objects o ON o.id = l.object_id';
  where.push(driver === undefined ? 'o.kind = ?' : 'l.kind = ?');
  params.push(kind);
  if (driver !== undefined) where.push(...drivingConditions(driver.positive, params));
  if (filter.namespace !== undefined) {
    where.push(driver === undefined ? 'o.namespace = ?' : 'l.namespace = ?');
    params.push(filter.namespace);
  }
  if (filter.name !== undefined) {
    where.push('o.name = ?');
    params.push(filter.name);
  }
  for (const requirement of selector) {
    if (requirement !== driver?.requirement) where.push(requirementCondition(requirement, params));
  }
  const sql = `SELECT o.id AS id FROM ${from} WHERE ${where.join(' AND ')} ORDER BY o.namespace, o.name`;
  return { kind, sql, params, key: `${sql}\u0000${JSON.stringify(params)}` };
}

/**
 * The planner would rather walk the whole kind in key order than sort a few rows found by name, so
 * a name across namespaces names its index. (CROSS JOIN likewise keeps the labels row driving.)
 */
function objectsFrom(filter: ListFilter): string {
  return filter.name !== undefined && filter.namespace === undefined ? 'objects o INDEXED BY objects_by_name' : 'objects o';
}

function drivingRequirement(selector: LabelSelector, namespaced: boolean): { requirement: Requirement; positive: Positive } | undefined {
  let best: { requirement: Requirement; positive: Positive } | undefined;
  for (const requirement of selector) {
    const positive = asPositive(requirement);
    if (positive !== undefined && estimate(positive) < (best === undefined ? Infinity : estimate(best.positive)))
      best = { requirement, positive };
  }
  // A bare `exists` can match every object of the kind; within one namespace the namespace index is narrower.
  return best?.positive.operator === 'exists' && namespaced ? undefined : best;
}

function estimate(requirement: Positive): number {
  if (requirement.operator === 'equals') return 1;
  if (requirement.operator === 'in') return requirement.values.length;
  return Number.MAX_SAFE_INTEGER;
}

/** The conditions on the driving labels row `l`. */
function drivingConditions(requirement: Positive, params: SQLInputValue[]): string[] {
  params.push(requirement.key);
  const conditions = ['l.key = ?'];
  if (requirement.operator === 'equals') {
    conditions.push('l.value = ?');
    params.push(requirement.value);
  } else if (requirement.operator === 'in') {
    conditions.push('l.value IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(requirement.values));
  }
  return conditions;
}

function requirementCondition(requirement: Requirement, params: SQLInputValue[]): string {
  const probe = (valueSql: string) => `EXISTS (SELECT 1 FROM labels x WHERE x.object_id = o.id AND x.key = ?${valueSql})`;
  params.push(requirement.key);
  switch (requirement.operator) {
    case 'exists':
      return probe('');
    case 'notExists':
      return `NOT ${probe('')}`;
    case 'equals':
      params.push(requirement.value);
      return probe(' AND x.value = ?');
    case 'notEquals':
      params.push(requirement.value);
      return `NOT ${probe(' AND x.value = ?')}`;
    case 'in':
      params.push(JSON.stringify(requirement.values));
      return probe(' AND x.value IN (SELECT value FROM json_each(?))');
    case 'notIn':
      params.push(JSON.stringify(requirement.values));
      return `NOT ${probe(' AND x.value IN (SELECT value FROM json_each(?))')}`;
  }
}
