import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import type { ValidateFunction } from 'ajv';
import type { DocumentOperation } from '../src/http/compiled-operation.ts';
import { SchemaCompiler } from '../src/http/schema-compiler.ts';
import { guidArbitrary, poolMarker, validArbitrary, wrongTypeArbitrary, type PoolName, type Schema } from './schema-arbitrary.ts';

/**
 * What a generated request means to the checks: `valid` follows the document (it may still be refused,
 * e.g. a name already taken); `invalid` breaks the document in a way the server must refuse with a 4xx
 * (so it must leave the store as it was); `odd` is unusual but may be accepted (a repeated key, an
 * unknown Accept header): only the per-response checks apply.
 */
export type Intent = 'valid' | 'invalid' | 'odd';

export type Auth = 'admin' | 'none' | 'garbage';

/** A path segment: a reference to an existing resource, or literal text (already percent-encoded). */
export type PathValue = { ref: PoolName; index: number } | { literal: string };

export type RequestBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'yaml'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; base64: string }
  | { kind: 'multipart'; filename: string; base64: string; field: string };

/** One generated request, before GUID references are resolved (it is what fast-check shrinks and prints). */
export type FuzzRequest = {
  operationId: string;
  method: string;
  template: string;
  pathValues: Record<string, PathValue>;
  /** Query pairs, key and value already percent-encoded; values may hold GUID references. */
  query: [string, string][];
  headers: Record<string, string>;
  body?: RequestBody;
  contentType?: string;
  auth: Auth;
  intent: Intent;
  /** What was done to make it invalid or odd, for the report. */
  mutation: string;
};

type Parameter = { name: string; in: string; required?: boolean; schema?: Schema };
type Operation = Omit<DocumentOperation, 'parameters' | 'requestBody' | 'security'> & {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  security?: unknown[];
};

/** Resources that a DELETE of the resource itself removes: their path GUIDs come from what the fuzzer may destroy. */
export const destructiveOperations = new Set([
  'deleteApp',
  'deleteOrganization',
  'deleteSpace',
  'deleteDomain',
  'deleteRoute',
  'deleteRole',
  'deleteServiceInstance',
  'deleteServiceCredentialBinding',
]);

const poolBySegment: Record<string, PoolName> = {
  apps: 'app',
  processes: 'process',
  tasks: 'task',
  builds: 'build',
  droplets: 'droplet',
  packages: 'package',
  deployments: 'deployment',
  domains: 'domain',
  routes: 'route',
  service_instances: 'serviceInstance',
  service_credential_bindings: 'binding',
  organizations: 'org',
  spaces: 'space',
  roles: 'role',
  users: 'user',
  jobs: 'job',
  read: 'app',
};

/** The pool a query parameter's GUIDs come from (`app_guids` → apps). */
const poolByQueryName: Record<string, PoolName> = {
  guids: 'app',
  app_guids: 'app',
  space_guids: 'space',
  organization_guids: 'org',
  package_guids: 'package',
  domain_guids: 'domain',
  service_instance_guids: 'serviceInstance',
  route_guids: 'route',
  user_guids: 'user',
};

/** The pool of a `data.guid` with nothing above it naming one: the operation's own resource. */
const bodyPoolByOperation: Record<string, PoolName> = {
  setAppCurrentDroplet: 'droplet',
  createBuild: 'package',
  createDeployment: 'droplet',
};

export const bodyCompiler = new SchemaCompiler();
const validators = new Map<object, ValidateFunction>();
/** Whether a value still passes the schema (a mutation may happen to produce a valid value). */
export function passes(schema: Schema, value: unknown): boolean {
  let validate = validators.get(schema);
  if (!validate) {
    validate = bodyCompiler.compile(schema);
    validators.set(schema, validate);
  }
  return validate(structuredClone(value)) === true;
}

const segmentBefore = (template: string, name: string): string => {
  const segments = template.split('/');
  const at = segments.indexOf(`{${name}}`);
  return at > 0 ? segments[at - 1]! : '';
};

function pathValueArbitrary(operation: Operation, name: string): fc.Arbitrary<PathValue> {
  if (name === 'guid' || name === 'source_id') {
    const pool = poolBySegment[segmentBefore(operation.path, name)] ?? 'app';
    const guidPool: PoolName = operation.path.startsWith('/v3/jobs') ? 'job' : pool;
    return fc.oneof(
      { weight: 9, arbitrary: fc.nat(50).map((index) => ({ ref: guidPool, index })) },
      { weight: 1, arbitrary: fc.uuid({ version: 4 }).map((literal) => ({ literal })) },
    );
  }
  if (name === 'destination_guid') return fc.nat(50).map((index) => ({ ref: 'destination' as const, index }));
  if (name === 'type') return fc.constantFrom('web', 'worker', 'web').map((literal) => ({ literal }));
  if (name === 'index') return fc.integer({ min: 0, max: 3 }).map((value) => ({ literal: String(value) }));
  if (name === 'name') return fc.constantFrom('ssh', 'revisions', 'ssh').map((literal) => ({ literal }));
  return fc.string({ minLength: 1, maxLength: 8 }).map((value) => ({ literal: encodeURIComponent(value) }));
}

/** Path values no resource has: unknown GUIDs, malformed percent-encodings, dots, very long values. */
const badPathValue: fc.Arbitrary<string> = fc.oneof(
  fc.uuid({ version: 4 }),
  fc.constantFrom(
    'not-a-guid',
    '%',
    '%E0%A4%A',
    '%ff%fe',
    '%C0%AF',
    '%00',
    '..%2F..%2Fetc',
    '%2F',
    '%20',
    'a%2Cb',
    '%F0%9F%92%A9',
    'cf-org-%7B%7D',
    '__proto__',
    'constructor',
    'null',
    'x'.repeat(4096),
  ),
  fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }).map((value) => encodeURIComponent(value)),
);

const labelSelectorArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('env', '!env', 'env=prod', 'env==prod', 'env!=prod', 'env in (a,b)', 'env notin (a)', 'a,b=c', 'tier=web,!legacy'),
  fc
    .tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.constantFrom('=', '!=', '=='), fc.stringMatching(/^[a-z0-9]{0,6}$/))
    .map(([k, op, v]) => `${k}${op}${v}`),
);

const badLabelSelector: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '=',
    'env in (',
    'env in ()',
    'a b',
    '!',
    '!=x',
    'in (a)',
    ',',
    'env notin',
    'x=y=z',
    '(',
    ')'.repeat(50),
    'a'.repeat(300),
    'a,'.repeat(60),
  ),
  fc.string({ maxLength: 30 }),
);

function queryValueArbitrary(operation: Operation, parameter: Parameter): fc.Arbitrary<string> {
  const schema = parameter.schema ?? {};
  if (parameter.name === 'label_selector') return labelSelectorArbitrary.map(encodeURIComponent);
  if (schema['type'] === 'array') {
    const items = (schema['items'] ?? {}) as Schema;
    const pool =
      poolByQueryName[parameter.name] ?? (parameter.name === 'guids' ? poolBySegment[operation.path.split('/')[2] ?? ''] : undefined);
    const item: fc.Arbitrary<unknown> = pool ? guidArbitrary(pool) : validArbitrary(items, { path: [], defaultPool: undefined });
    return fc
      .array(item, { minLength: 1, maxLength: 3 })
      .map((values) => values.map((value) => encodeURIComponent(String(value))).join(','));
  }
  return validArbitrary(schema, { path: [], defaultPool: undefined }).map((value) => encodeURIComponent(String(value)));
}

/** Values a query parameter must refuse: out of range, not a number, not in the enum, malformed. */
function badQueryValue(parameter: Parameter): fc.Arbitrary<string> {
  const schema = parameter.schema ?? {};
  if (parameter.name === 'label_selector') return badLabelSelector.map(encodeURIComponent);
  const items = (schema['type'] === 'array' ? schema['items'] : schema) as Schema;
  const bad: string[] = ['%E0%A4%A', '%ff', '%'];
  if (items['type'] === 'integer') bad.push('0', '-1', 'abc', '1.5', '99999999999999999999', '1e3', '', '0x10');
  if (items['type'] === 'boolean') bad.push('yes', '2', 'TRUE%20', '');
  if (Array.isArray(items['enum'])) bad.push('bogus', 'NAME', '-', ',,', encodeURIComponent('created_at ,'));
  if (typeof items['maximum'] === 'number') bad.push(String(items['maximum'] + 1));
  if (typeof items['pattern'] === 'string') bad.push('abc', '--1', '1'.repeat(25));
  return fc.constantFrom(...bad);
}

const bodySchemaOf = (operation: Operation): { contentType: string; schema: Schema } | undefined => {
  const content = operation.requestBody?.content;
  if (!content) return undefined;
  const [contentType, media] = Object.entries(content)[0]!;
  return { contentType, schema: media.schema ?? {} };
};

const secured = (operation: Operation) => (operation.security ?? []).length > 0;

type Parts = {
  pathValues: Record<string, PathValue>;
  query: [string, string][];
  body: RequestBody | undefined;
  contentType: string | undefined;
};

function validParts(operation: Operation): fc.Arbitrary<Parts> {
  const parameters = operation.parameters ?? [];
  const pathModel: Record<string, fc.Arbitrary<PathValue>> = {};
  for (const parameter of parameters.filter((p) => p.in === 'path'))
    pathModel[parameter.name] = pathValueArbitrary(operation, parameter.name);
  const queryParameters = parameters.filter((p) => p.in === 'query');
  const queryModel: Record<string, fc.Arbitrary<string>> = {};
  for (const parameter of queryParameters) queryModel[parameter.name] = queryValueArbitrary(operation, parameter);
  const required = queryParameters.filter((p) => p.required === true).map((p) => p.name);
  const bodySpec = bodySchemaOf(operation);
  const body: fc.Arbitrary<RequestBody | undefined> = bodySpec
    ? validBodyArbitrary(operation, bodySpec.contentType, bodySpec.schema)
    : fc.constant(undefined);
  return fc
    .record({
      pathValues: fc.record(pathModel),
      query: fc.record(queryModel, { requiredKeys: required }),
      body,
    })
    .map(({ pathValues, query, body: value }) => ({
      pathValues,
      query: Object.entries(query).map(([key, text]) => [encodeURIComponent(key), text] as [string, string]),
      body: value,
      contentType: bodySpec?.contentType,
    }));
}

function validBodyArbitrary(operation: Operation, contentType: string, schema: Schema): fc.Arbitrary<RequestBody> {
  const context = { path: [], defaultPool: bodyPoolByOperation[operation.operationId] };
  if (contentType.startsWith('multipart/')) {
    return fc
      .oneof(
        fc.constant(tinyZip),
        fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      )
      .map((base64) => ({ kind: 'multipart' as const, field: 'bits', filename: 'bits.zip', base64 }));
  }
  const value = validArbitrary(schema, context);
  if (contentType.includes('yaml')) return value.map((v) => ({ kind: 'yaml' as const, value: v }));
  return value.map((v) => ({ kind: 'json' as const, value: v }));
}

/** An empty zip archive (its end-of-central-directory record alone): a valid upload with no files. */
const tinyZip = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]).toString('base64');

type Node = { path: (string | number)[]; schema: Schema; value: unknown };

/** Every value of the body with the schema that describes it (following properties, items and additionalProperties). */
function nodesOf(schema: Schema, value: unknown, path: (string | number)[] = [], out: Node[] = []): Node[] {
  const alternatives = (schema['oneOf'] ?? schema['anyOf']) as Schema[] | undefined;
  const matching = alternatives?.find((alternative) => passes(alternative, value));
  if (matching) return nodesOf(matching, value, path, out);
  out.push({ path, schema, value });
  if (alternatives) return out;
  if (Array.isArray(value) && schema['items']) {
    value.forEach((item, index) => nodesOf(schema['items'] as Schema, item, [...path, index], out));
    return out;
  }
  if (typeof value === 'object' && value !== null) propertyNodes(schema, value, path, out);
  return out;
}

function propertyNodes(schema: Schema, value: object, path: (string | number)[], out: Node[]): void {
  const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
  const additional = typeof schema['additionalProperties'] === 'object' ? (schema['additionalProperties'] as Schema) : undefined;
  for (const [key, item] of Object.entries(value)) {
    const sub = properties[key] ?? additional;
    if (sub) nodesOf(sub, item, [...path, key], out);
  }
}

function setAt(root: unknown, path: (string | number)[], replace: (old: unknown) => unknown): unknown {
  if (path.length === 0) return replace(root);
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  const next = replace(parent[last]);
  if (next === removed) delete parent[last];
  else parent[last] = next;
  return copy;
}
const removed = Symbol('removed');

type Mutated = { body: RequestBody; contentType?: string; mutation: string; intent: Intent };

/** A body the schema refuses (checked with the schema itself: a mutation that still passes is only `odd`). */
function invalidJsonBody(operation: Operation, schema: Schema, json: boolean): fc.Arbitrary<Mutated> {
  const wrap = (value: unknown): RequestBody => (json ? { kind: 'json', value } : { kind: 'yaml', value });
  return fc
    .tuple(validArbitrary(schema, { path: [], defaultPool: bodyPoolByOperation[operation.operationId] }), fc.nat(), fc.nat())
    .chain(([value, pick, pick2]) => {
      const nodes = nodesOf(schema, value);
      const node = nodes[pick % nodes.length]!;
      const objects = nodes.filter((n) => typeof n.value === 'object' && n.value !== null && !Array.isArray(n.value));
      const withRequired = objects.filter((n) => ((n.schema['required'] ?? []) as string[]).length > 0);
      const closed = objects.filter((n) => n.schema['additionalProperties'] === false);
      const enums = nodes.filter((n) => Array.isArray(n.schema['enum']));
      const strings = nodes.filter((n) => typeof n.value === 'string');
      const options: fc.Arbitrary<{ value: unknown; mutation: string }>[] = [
        wrongTypeArbitrary(node.schema).map((wrong) => ({
          value: setAt(value, node.path, () => wrong),
          mutation: `wrong type at /${node.path.join('/')}`,
        })),
      ];
      if (withRequired.length > 0) {
        const target = withRequired[pick2 % withRequired.length]!;
        const required = (target.schema['required'] as string[])[pick % (target.schema['required'] as string[]).length]!;
        options.push(
          fc.constant({
            value: setAt(value, [...target.path, required], () => removed),
            mutation: `missing required /${[...target.path, required].join('/')}`,
          }),
        );
      }
      if (closed.length > 0) {
        const target = closed[pick2 % closed.length]!;
        options.push(
          fc
            .tuple(fc.constantFrom('fuzz_extra', 'guid', '__proto__', 'constructor', ''), fc.jsonValue({ maxDepth: 1 }))
            .map(([key, extra]) => ({
              value: setAt(value, target.path, (old) =>
                Object.defineProperty({ ...(old as object) }, key, { value: extra, enumerable: true, writable: true, configurable: true }),
              ),
              mutation: `extra property ${JSON.stringify(key)} at /${target.path.join('/')}`,
            })),
        );
      }
      if (enums.length > 0) {
        const target = enums[pick2 % enums.length]!;
        options.push(
          fc
            .constantFrom('bogus', '', 'STAGED ', 'Web')
            .map((bad) => ({ value: setAt(value, target.path, () => bad), mutation: `bad enum at /${target.path.join('/')}` })),
        );
      }
      if (strings.length > 0) {
        const target = strings[pick2 % strings.length]!;
        options.push(
          fc.constantFrom(300_000, 70_000).map((size) => ({
            value: setAt(value, target.path, () => 'x'.repeat(size)),
            mutation: `huge string (${size}) at /${target.path.join('/')}`,
          })),
        );
      }
      if (objects.length > 0) {
        const target = objects[pick2 % objects.length]!;
        options.push(
          fc.constantFrom(50_000).map((size) => ({
            value: setAt(value, target.path, (old) => ({ ...(old as object), fuzz_huge: new Array<number>(size).fill(7) })),
            mutation: `huge array (${size}) at /${target.path.join('/')}`,
          })),
        );
      }
      return fc.oneof(...options).map(({ value: mutated, mutation }) => ({
        body: wrap(mutated),
        mutation,
        intent: passes(schema, mutated) ? ('odd' as const) : ('invalid' as const),
      }));
    });
}

/** Bodies that are not what the operation reads at all: not JSON, bad UTF-8, the wrong content type, deeply nested. */
function brokenBody(contentType: string): fc.Arbitrary<Mutated> {
  const text = (value: string, mutation: string, type = contentType): Mutated => ({
    body: { kind: 'text', text: value },
    contentType: type,
    mutation,
    // The server reads the body whatever Content-Type says (as Korifi): another type is only odd.
    intent: type === contentType ? 'invalid' : 'odd',
  });
  const bytes = (value: number[], mutation: string): Mutated => ({
    body: { kind: 'bytes', base64: Buffer.from(value).toString('base64') },
    contentType,
    mutation,
    intent: 'invalid',
  });
  return fc.oneof(
    fc.constantFrom(
      text('', 'empty body'),
      text('{', 'truncated JSON'),
      text('{"name": "a",}', 'trailing comma'),
      text('null', 'JSON null'),
      text('[]', 'JSON array'),
      text('"text"', 'JSON string'),
      text('12', 'JSON number'),
      text('{"a":1}{"b":2}', 'two JSON values'),
      { ...text('\uFEFF{}', 'BOM before JSON'), intent: 'odd' },
      text('['.repeat(20_000) + ']'.repeat(20_000), 'deeply nested arrays'),
      text('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000), 'deeply nested objects'),
      text('key: [unclosed', 'broken YAML'),
      text(
        'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n',
        'YAML alias bomb',
      ),
      text('<xml/>', 'XML body', 'application/xml'),
      // The server does not check Content-Type (neither does Korifi): a parseable body is read whatever it says.
      { ...text('{}', 'text/plain content type', 'text/plain'), intent: 'odd' },
      text('name=x', 'form content type', 'application/x-www-form-urlencoded'),
      text('{}', 'multipart without boundary', 'multipart/form-data'),
      text(
        '--b\r\nContent-Disposition: form-data; name="bits"\r\n\r\nxx\r\n--b--\r\n',
        'multipart body',
        'multipart/form-data; boundary=b',
      ),
      {
        ...bytes([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x22, 0x7d], 'bad UTF-8 in a JSON string'),
        intent: 'odd',
      },
      bytes([0xff, 0xfe, 0x00, 0x7b, 0x00, 0x7d], 'UTF-16 body'),
      bytes([0x00, 0x01, 0x02, 0x03], 'binary body'),
    ),
    fc
      .string({ maxLength: 60, unit: 'binary' })
      .filter((value) => value.trim() !== '' && !isJsonObject(value))
      .map((value) => text(value, 'random text')),
  );
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

const oddHeaders: fc.Arbitrary<{ headers: Record<string, string>; mutation: string }> = fc.constantFrom(
  { headers: { Accept: 'application/xml' }, mutation: 'Accept: application/xml' },
  { headers: { Accept: 'text/html;q=0.9, */*;q=0.1' }, mutation: 'Accept with weights' },
  { headers: { 'X-Correlation-ID': 'x'.repeat(2000) }, mutation: 'long X-Correlation-ID' },
  { headers: { 'X-Correlation-ID': '\t' }, mutation: 'blank X-Correlation-ID' },
  { headers: { 'User-Agent': 'cf/6.0.0+abc (go1.10; amd64; linux)' }, mutation: 'old cf CLI user agent' },
  { headers: { 'User-Agent': 'cf/8.x' }, mutation: 'cf user agent without a version' },
  { headers: { 'User-Agent': '' }, mutation: 'empty user agent' },
  { headers: { 'X-Forwarded-For': '1.2.3.4, ::1' }, mutation: 'X-Forwarded-For' },
  { headers: { 'If-None-Match': '*' }, mutation: 'If-None-Match' },
  { headers: { 'Accept-Encoding': 'gzip, br, zstd' }, mutation: 'Accept-Encoding' },
  { headers: { 'X-Fuzz': 'y'.repeat(8000) }, mutation: 'large header' },
  { headers: { 'X-Fuzz': 'y'.repeat(20_000) }, mutation: "headers over Node's 16 KiB limit" },
  { headers: { 'Content-Encoding': 'gzip' }, mutation: 'Content-Encoding gzip on a plain body' },
);

const authArbitrary: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 18, arbitrary: fc.constant('admin' as const) },
  { weight: 1, arbitrary: fc.constant('none' as const) },
  { weight: 1, arbitrary: fc.constant('garbage' as const) },
);

/** The request the document describes for `operation` with these parts, sent as the admin. */
function requestOf(operation: Operation, parts: Parts): FuzzRequest {
  return {
    operationId: operation.operationId,
    method: operation.method.toUpperCase(),
    template: operation.path,
    pathValues: parts.pathValues,
    query: parts.query,
    headers: {},
    ...(parts.body ? { body: parts.body } : {}),
    ...(parts.contentType ? { contentType: parts.contentType } : {}),
    auth: 'admin',
    intent: 'valid',
    mutation: '',
  };
}

/** Requests that follow the document for this operation. */
export function validRequest(operation: Operation): fc.Arbitrary<FuzzRequest> {
  return fc.tuple(validParts(operation), authArbitrary).map(([parts, auth]) => ({
    ...requestOf(operation, parts),
    auth: secured(operation) ? auth : 'admin',
    intent: auth === 'admin' || !secured(operation) ? 'valid' : 'invalid',
    mutation: auth === 'admin' || !secured(operation) ? '' : `auth: ${auth}`,
  }));
}

/** Requests that break the document for this operation in one way each (and a few odd but legal ones). */
export function invalidRequest(operation: Operation): fc.Arbitrary<FuzzRequest> {
  const parameters = operation.parameters ?? [];
  const queryParameters = parameters.filter((p) => p.in === 'query');
  const pathNames = parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const bodySpec = bodySchemaOf(operation);
  const base = validParts(operation);
  const change = <T>(
    arbitrary: fc.Arbitrary<T>,
    apply: (parts: Parts, value: T) => Partial<FuzzRequest> & { mutation: string; intent: Intent },
  ) => fc.tuple(base, arbitrary).map(([parts, value]) => ({ parts, ...apply(parts, value) }));
  const mutations: fc.Arbitrary<{ parts: Parts } & Partial<FuzzRequest> & { mutation: string; intent: Intent }>[] = [
    change(
      fc.tuple(
        fc.constantFrom('fuzz', 'pagee', 'order', 'names[]', 'a%00b', '%E0%A4%A', 'fields[app]', 'include'),
        fc.string({ maxLength: 6 }),
      ),
      (parts, [key, value]) => {
        const known = queryParameters.some((p) => encodeURIComponent(p.name) === key);
        return {
          query: [...parts.query, [key, encodeURIComponent(value)]],
          mutation: `query key ${key}`,
          intent: known ? 'odd' : 'invalid',
        };
      },
    ),
    change(fc.constantFrom<Auth>('none', 'garbage'), (_parts, auth) => ({
      auth,
      mutation: `auth: ${auth}`,
      intent: secured(operation) ? 'invalid' : 'odd',
    })),
    change(oddHeaders, (_parts, odd) => ({ headers: odd.headers, mutation: odd.mutation, intent: 'odd' })),
  ];
  if (queryParameters.length > 0) {
    mutations.push(
      fc.tuple(base, fc.constantFrom(...queryParameters)).chain(([parts, parameter]) =>
        badQueryValue(parameter).map((bad) => ({
          parts,
          query: [
            ...parts.query.filter(([key]) => key !== encodeURIComponent(parameter.name)),
            [encodeURIComponent(parameter.name), bad] as [string, string],
          ],
          mutation: `bad ${parameter.name}=${bad}`,
          intent: 'odd',
        })),
      ),
      change(fc.constantFrom(...queryParameters), (parts, parameter) => ({
        query: [...parts.query, [encodeURIComponent(parameter.name), '1'], [encodeURIComponent(parameter.name), '2']],
        mutation: `repeated ${parameter.name}`,
        intent: 'odd',
      })),
    );
  }
  if (pathNames.length > 0) {
    mutations.push(
      change(fc.tuple(fc.constantFrom(...pathNames), badPathValue), (parts, [name, bad]) => ({
        parts: { ...parts, pathValues: { ...parts.pathValues, [name]: { literal: bad } } },
        mutation: `bad path ${name}=${bad.slice(0, 40)}`,
        intent: 'odd',
      })),
    );
  }
  if (bodySpec && !bodySpec.contentType.startsWith('multipart/')) {
    const json = bodySpec.contentType.includes('json');
    mutations.push(
      fc.tuple(base, invalidJsonBody(operation, bodySpec.schema, json)).map(([parts, mutated]) => ({ parts, ...mutated })),
      fc.tuple(base, brokenBody(bodySpec.contentType)).map(([parts, broken]) => ({
        parts,
        ...broken,
        // An optional body may be left out (createResourceMatch): empty is then allowed.
        intent: broken.mutation === 'empty body' && operation.requestBody?.required !== true ? ('odd' as const) : broken.intent,
      })),
    );
  }
  if (bodySpec?.contentType.startsWith('multipart/')) {
    mutations.push(
      fc.tuple(base, brokenBody(bodySpec.contentType)).map(([parts, broken]) => ({ parts, ...broken, intent: 'odd' })),
      change(fc.uint8Array({ maxLength: 200 }), (_parts, bytes) => ({
        body: { kind: 'multipart', field: 'bits', filename: 'bits.zip', base64: Buffer.from(bytes).toString('base64') },
        mutation: 'not a zip',
        intent: 'invalid',
      })),
      change(fc.constant(0), () => ({
        body: { kind: 'multipart', field: 'other', filename: 'x.zip', base64: tinyZip },
        mutation: 'no bits field',
        intent: 'invalid',
      })),
    );
  }
  if (!bodySpec) {
    mutations.push(
      change(fc.constant(0), () => ({
        body: { kind: 'text', text: '{"unexpected": true}' },
        contentType: 'application/json',
        mutation: 'body where none is declared',
        intent: 'odd',
      })),
    );
  }
  return fc.oneof(...mutations).map(({ parts, mutation, intent, ...rest }) => {
    const request: FuzzRequest = {
      ...requestOf(operation, parts),
      ...rest,
      intent,
      mutation,
    };
    return request;
  });
}

export { poolMarker, toYaml };
