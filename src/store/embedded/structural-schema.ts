import type { CrdSchema } from '../kubernetes/crd-manifests.ts';
import { fieldError } from './field-errors.ts';
import { jsonEqual } from '../json-equal.ts';

type Json = Record<string, unknown>;

/**
 * What the apiserver does with a custom resource's structural schema on every write, in its order:
 * prune fields the schema does not know (and nulls where it does not allow them), apply defaults to
 * absent fields, then validate. Mutates `resource` (everything but metadata, apiVersion and kind)
 * and returns the problems, worded as the apiserver words them.
 */
export function applyStructuralSchema(schema: CrdSchema, resource: Json): string[] {
  const problems: string[] = [];
  for (const field of Object.keys(resource)) {
    if (field === 'metadata' || field === 'apiVersion' || field === 'kind') continue;
    const fieldSchema = schema.properties?.[field];
    if (fieldSchema === undefined || (resource[field] === null && fieldSchema.nullable !== true)) {
      delete resource[field];
      continue;
    }
    resource[field] = prune(fieldSchema, resource[field]);
    applyDefaults(fieldSchema, resource[field]);
    validate(fieldSchema, resource[field], field, problems);
  }
  return problems;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function childSchema(schema: CrdSchema, key: string): CrdSchema | undefined {
  const declared = schema.properties?.[key];
  if (declared !== undefined) return declared;
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}

function keepsUnknownFields(schema: CrdSchema): boolean {
  return schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties === true;
}

function prune(schema: CrdSchema, value: unknown): unknown {
  if (Array.isArray(value)) return schema.items === undefined ? value : value.map((item) => prune(schema.items!, item));
  if (!isObject(value)) return value;
  for (const key of Object.keys(value)) {
    const child = childSchema(schema, key);
    if (child === undefined) {
      if (!keepsUnknownFields(schema)) delete value[key];
    } else if (value[key] === null && child.nullable !== true) {
      delete value[key];
    } else {
      value[key] = prune(child, value[key]);
    }
  }
  return value;
}

function applyDefaults(schema: CrdSchema, value: unknown): void {
  if (Array.isArray(value)) {
    if (schema.items !== undefined) for (const item of value) applyDefaults(schema.items, item);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (value[key] === undefined && child.default !== undefined) value[key] = structuredClone(child.default);
  }
  for (const [key, item] of Object.entries(value)) {
    const child = childSchema(schema, key);
    if (child !== undefined) applyDefaults(child, item);
  }
}

function validate(schema: CrdSchema, value: unknown, path: string, problems: string[]): void {
  if (value === null) {
    if (schema.nullable !== true) problems.push(typeProblem(schema, value, path));
    return;
  }
  if (!hasType(schema, value)) {
    problems.push(typeProblem(schema, value, path));
    return;
  }
  if (schema.enum !== undefined && !schema.enum.some((allowed) => jsonEqual(allowed, value))) {
    problems.push(fieldError.unsupported(path, value, schema.enum.map(String)));
    return;
  }
  if (typeof value === 'string') problems.push(...stringProblems(schema, value, path));
  else if (typeof value === 'number') problems.push(...numberProblems(schema, value, path));
  else if (Array.isArray(value))
    value.forEach((item, index) => schema.items && validate(schema.items, item, `${path}[${index}]`, problems));
  else if (isObject(value)) validateObject(schema, value, path, problems);
}

function validateObject(schema: CrdSchema, value: Json, path: string, problems: string[]): void {
  for (const required of schema.required ?? []) {
    if (value[required] === undefined) problems.push(fieldError.required(`${path}.${required}`));
  }
  for (const [key, item] of Object.entries(value)) {
    const child = childSchema(schema, key);
    if (child !== undefined) validate(child, item, `${path}.${key}`, problems);
  }
}

function hasType(schema: CrdSchema, value: unknown): boolean {
  if (schema['x-kubernetes-int-or-string'] === true) return typeof value === 'string' || Number.isInteger(value);
  switch (schema.type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'string':
    case 'boolean':
      return typeof value === schema.type;
    default:
      return true;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

function typeProblem(schema: CrdSchema, value: unknown, path: string): string {
  const actual = typeName(value);
  return fieldError.invalid(path, actual, `${path} in body must be of type ${schema.type ?? 'int-or-string'}: ${JSON.stringify(actual)}`);
}

const patterns = new Map<string, RegExp>();

function compiled(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(fromRe2(pattern));
    patterns.set(pattern, regex);
  }
  return regex;
}

/** RE2's POSIX classes (valid inside brackets), as JavaScript class ranges. */
const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** CRD patterns are Go (RE2) regular expressions; the parts JavaScript reads differently are rewritten. */
export function fromRe2(pattern: string): string {
  return pattern.replace(/\[:([a-z]+):\]/g, (whole, name: string) => posixClasses[name] ?? whole);
}

const dateTime = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function stringProblems(schema: CrdSchema, value: string, path: string): string[] {
  const problems: string[] = [];
  const length = [...value].length;
  if (typeof schema.maxLength === 'number' && length > schema.maxLength) {
    problems.push(`${path}: Too long: may not be longer than ${schema.maxLength}`);
  }
  if (typeof schema.minLength === 'number' && length < schema.minLength) {
    problems.push(fieldError.invalid(path, value, `${path} in body should be at least ${schema.minLength} chars long`));
  }
  if (schema.pattern !== undefined && !compiled(schema.pattern).test(value)) {
    problems.push(fieldError.invalid(path, value, `${path} in body should match '${schema.pattern}'`));
  }
  if (schema.format === 'date-time' && (!dateTime.test(value) || Number.isNaN(Date.parse(value)))) {
    problems.push(fieldError.invalid(path, value, `${path} in body must be of type date-time: ${JSON.stringify(value)}`));
  }
  return problems;
}

function numberProblems(schema: CrdSchema, value: number, path: string): string[] {
  const problems: string[] = [];
  if (typeof schema.minimum === 'number' && value < schema.minimum) {
    problems.push(fieldError.invalid(path, value, `${path} in body should be greater than or equal to ${schema.minimum}`));
  }
  if (typeof schema.maximum === 'number' && value > schema.maximum) {
    problems.push(fieldError.invalid(path, value, `${path} in body should be less than or equal to ${schema.maximum}`));
  }
  return problems;
}
