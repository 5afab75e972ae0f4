import fc from 'fast-check';

/** A JSON Schema (draft 2020-12, as the bundled OpenAPI document has it, references resolved). */
export type Schema = Record<string, unknown>;

/**
 * A GUID the fuzzer cannot know while generating (the server makes them): a marker naming a pool of
 * existing resources and an index into it, replaced by a real GUID when the request is sent.
 */
export type PoolName =
  | 'org'
  | 'space'
  | 'app'
  | 'package'
  | 'build'
  | 'droplet'
  | 'process'
  | 'task'
  | 'route'
  | 'destination'
  | 'domain'
  | 'serviceInstance'
  | 'binding'
  | 'role'
  | 'user'
  | 'job'
  | 'deployment';

export const poolMarker = (pool: PoolName, index: number): string => `@@ref:${pool}:${index}@@`;
export const poolMarkerPattern = /@@ref:([A-Za-z]+):(\d+)@@/g;

/** Which pool a `guid` belongs to, from the property names above it (`relationships.space.data.guid`). */
const poolByKey: Record<string, PoolName> = {
  space: 'space',
  spaces: 'space',
  shared_spaces: 'space',
  app: 'app',
  organization: 'org',
  domain: 'domain',
  service_instance: 'serviceInstance',
  user: 'user',
  package: 'package',
  droplet: 'droplet',
  current_droplet: 'droplet',
  route: 'route',
  process: 'process',
};

export type GenerationContext = {
  /** Property names from the body's root down to the value being generated. */
  path: readonly string[];
  /** The pool a bare `data.guid` refers to when no property above names one (the operation's own). */
  defaultPool: PoolName | undefined;
};

const maxDepth = 6;

function poolFor(context: GenerationContext): PoolName | undefined {
  for (let index = context.path.length - 1; index >= 0; index--) {
    const pool = poolByKey[context.path[index]!];
    if (pool) return pool;
  }
  return context.defaultPool;
}

/** A reference to an existing resource of `pool` most of the time, sometimes a GUID nothing has. */
export function guidArbitrary(pool: PoolName | undefined): fc.Arbitrary<string> {
  const unknown = fc.uuid({ version: 4 });
  if (!pool) return unknown;
  return fc.oneof({ weight: 8, arbitrary: fc.nat(50).map((index) => poolMarker(pool, index)) }, { weight: 1, arbitrary: unknown });
}

const typesOf = (schema: Schema): string[] => {
  const type = schema['type'];
  if (Array.isArray(type)) return type as string[];
  if (typeof type === 'string') return [type];
  if (schema['properties'] || schema['additionalProperties'] !== undefined) return ['object'];
  if (schema['items']) return ['array'];
  return [];
};

/** Removes `(?!…)` and `(?=…)` groups, which fast-check's stringMatching does not take; the full pattern filters after. */
function withoutLookarounds(pattern: string): string {
  let out = '';
  for (let index = 0; index < pattern.length; index++) {
    if (pattern[index] === '\\') {
      out += pattern.slice(index, index + 2);
      index++;
      continue;
    }
    if (pattern.startsWith('(?!', index) || pattern.startsWith('(?=', index)) {
      index = groupEnd(pattern, index);
      continue;
    }
    out += pattern[index];
  }
  return out;
}

/** The index of the `)` that closes the group opened at `start`. */
function groupEnd(pattern: string, start: number): number {
  let depth = 0;
  for (let index = start; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '\\') index++;
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return index;
  }
  return pattern.length;
}

const patternCache = new Map<string, fc.Arbitrary<string>>();

function stringArbitrary(schema: Schema): fc.Arbitrary<string> {
  const minLength = typeof schema['minLength'] === 'number' ? schema['minLength'] : 0;
  const maxLength = typeof schema['maxLength'] === 'number' ? schema['maxLength'] : Math.max(minLength, 24);
  const fits = (value: string) => value.length >= minLength && value.length <= maxLength;
  const pattern = schema['pattern'];
  if (typeof pattern === 'string') {
    let arbitrary = patternCache.get(pattern);
    if (!arbitrary) {
      const full = new RegExp(pattern, 'u');
      arbitrary = fc.stringMatching(new RegExp(withoutLookarounds(pattern), 'u'), { size: 'xsmall' }).filter((value) => full.test(value));
      patternCache.set(pattern, arbitrary);
    }
    return arbitrary.filter(fits);
  }
  if (schema['format'] === 'uri') return fc.webUrl();
  if (schema['format'] === 'date-time') return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
  return fc.string({ minLength, maxLength: Math.min(maxLength, Math.max(minLength, 24)), unit: 'grapheme' });
}

function numberArbitrary(schema: Schema, integer: boolean): fc.Arbitrary<number> {
  const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : integer ? -5 : -5;
  const max = typeof schema['maximum'] === 'number' ? schema['maximum'] : min + 4096;
  if (integer) return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/** Values the schema accepts (best effort: patterns with lookarounds and `x-` rules are approximated, then filtered). */
export function validArbitrary(schema: Schema, context: GenerationContext): fc.Arbitrary<unknown> {
  if (context.path.length > maxDepth) return fc.constant(null);
  if ('const' in schema) return fc.constant(schema['const']);
  if (Array.isArray(schema['enum'])) return fc.constantFrom(...(schema['enum'] as unknown[]));
  const alternatives = (schema['oneOf'] ?? schema['anyOf']) as Schema[] | undefined;
  if (alternatives && alternatives.length > 0) {
    const base = { ...schema };
    delete base['oneOf'];
    delete base['anyOf'];
    return fc.oneof(...alternatives.map((alternative) => validArbitrary({ ...base, ...alternative }, context)));
  }
  const types = typesOf(schema);
  if (types.length === 0) return fc.jsonValue({ maxDepth: 1 });
  return fc.oneof(...types.map((type) => typedArbitrary(type, schema, context)));
}

function typedArbitrary(type: string, schema: Schema, context: GenerationContext): fc.Arbitrary<unknown> {
  const key = context.path.at(-1) ?? '';
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      // The whole range, instance counts included: the server refuses more than its configured limit.
      return numberArbitrary(schema, true);
    case 'number':
      return numberArbitrary(schema, false);
    case 'string':
      return key === 'guid' ? guidArbitrary(poolFor(context)) : stringArbitrary(schema);
    case 'array':
      return arrayArbitrary(schema, context);
    default:
      return objectArbitrary(schema, context);
  }
}

function arrayArbitrary(schema: Schema, context: GenerationContext): fc.Arbitrary<unknown[]> {
  const items = (schema['items'] ?? {}) as Schema;
  const minLength = typeof schema['minItems'] === 'number' ? schema['minItems'] : 0;
  const maxLength = Math.min(typeof schema['maxItems'] === 'number' ? schema['maxItems'] : 3, minLength + 3);
  return fc.array(validArbitrary(items, context), { minLength, maxLength });
}

function objectArbitrary(schema: Schema, context: GenerationContext): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
  const required = new Set((schema['required'] ?? []) as string[]);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) {
    model[name] = validArbitrary(property, { ...context, path: [...context.path, name] });
  }
  const known = fc.record(model, { requiredKeys: [...required].filter((name) => name in properties) });
  const additional = schema['additionalProperties'];
  if (typeof additional !== 'object' || additional === null) return known;
  const names = schema['propertyNames']
    ? (validArbitrary(schema['propertyNames'] as Schema, context) as fc.Arbitrary<string>)
    : fc.string({ minLength: 1, maxLength: 12 });
  const extra = fc.dictionary(
    names.filter((name) => !(name in properties) && name !== '__proto__'),
    validArbitrary(additional as Schema, { ...context, path: [...context.path, '*'] }),
    { maxKeys: 3 },
  );
  const minProperties = typeof schema['minProperties'] === 'number' ? schema['minProperties'] : 0;
  return fc
    .tuple(known, extra)
    .map(([fixed, more]) => ({ ...more, ...fixed }))
    .filter((value) => Object.keys(value).length >= minProperties);
}

/** A JSON value of a different type than the schema allows (for `wrong type` bodies). */
export function wrongTypeArbitrary(schema: Schema): fc.Arbitrary<unknown> {
  const allowed = new Set(typesOf(schema));
  if (allowed.has('integer')) allowed.add('number');
  const candidates: [string, fc.Arbitrary<unknown>][] = [
    ['string', fc.string({ maxLength: 8 })],
    ['number', fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })],
    ['boolean', fc.boolean()],
    ['object', fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 })],
    ['array', fc.array(fc.integer(), { maxLength: 2 })],
    ['null', fc.constant(null)],
  ];
  const others = candidates.filter(([type]) => !allowed.has(type)).map(([, arbitrary]) => arbitrary);
  return others.length > 0 ? fc.oneof(...others) : fc.constant({ unexpected: [1, 'two'] });
}
