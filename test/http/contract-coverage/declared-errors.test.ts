import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dereference, documentUrl } from '../../../src/http/openapi-document.ts';
import type { TestResponse } from '../../support/test-server.ts';
import { forEachBackend } from '../tenancy/backends.ts';

/**
 * The error statuses every operation declares for the request machinery, derived from the document and
 * sent to every operation on both backends through the contract checker (so `npm run contract:coverage`
 * sees them): 401 without or with bad credentials, 400 for an unknown query key or a body that does not
 * parse, 422 for an invalid query value or an unknown body field. These are answered before any resource
 * is looked up, so made-up path values do.
 */

type Operation = {
  operationId: string;
  method: string;
  path: string;
  statuses: string[];
  authenticated: boolean;
  query: string[];
  /** A query key and a value its schema refuses (a boolean, an enum, an integer), when the operation has one. */
  invalidQuery: [string, string] | undefined;
  bodyType: string | undefined;
};

type RawOperation = {
  operationId: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, unknown>;
};

type Schema = { type?: string; enum?: unknown[]; items?: Schema };
type Parameter = { in: string; name: string; schema?: Schema };

const methods = ['get', 'put', 'post', 'delete', 'patch'];

/** A value the parameter's schema refuses, when its type says which: per_page=0 first, as every list has it. */
function invalidQueryOf(parameters: Parameter[]): [string, string] | undefined {
  const query = parameters.filter((parameter) => parameter.in === 'query');
  if (query.some((parameter) => parameter.name === 'per_page')) return ['per_page', '0'];
  for (const { name, schema = {} } of query) {
    const values = schema.enum ?? schema.items?.enum;
    if (schema.type === 'boolean') return [name, 'maybe'];
    if (values) return [name, 'not-one-of-them'];
    if (schema.type === 'integer') return [name, 'many'];
  }
  return undefined;
}

function operationsOf(): Operation[] {
  const document = dereference(JSON.parse(readFileSync(documentUrl, 'utf8')) as Record<string, unknown>) as {
    security?: unknown[];
    paths: Record<string, Record<string, unknown> & { parameters?: RawOperation['parameters'] }>;
  };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const operation = item[method] as RawOperation | undefined;
      if (!operation) return [];
      const parameters = [...(operation.parameters ?? []), ...(item.parameters ?? [])];
      return [
        {
          operationId: operation.operationId,
          method: method.toUpperCase(),
          path,
          statuses: Object.keys(operation.responses ?? {}),
          authenticated: (operation.security ?? document.security ?? []).length > 0,
          query: parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name),
          invalidQuery: invalidQueryOf(parameters),
          bodyType: Object.keys(operation.requestBody?.content ?? {})[0],
        },
      ];
    }),
  );
}

const someGuid = '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b';
const pathValues: Record<string, string> = {
  guid: someGuid,
  destination_guid: someGuid,
  source_id: someGuid,
  name: 'ssh',
  type: 'web',
  index: '0',
};

function concretePath(template: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = pathValues[name];
    if (value === undefined) throw new Error(`no test value for the path parameter {${name}} of ${template}`);
    return value;
  });
}

/** The single CF error of a response: its status, code and title. */
function expectError(response: TestResponse, status: number, code: number, title: string): { detail: string } {
  expect(response.status, response.text).to.equal(status);
  const errors = (response.body as { errors: { code: number; title: string; detail: string }[] }).errors;
  expect(errors, response.text).to.have.length(1);
  expect({ code: errors[0]!.code, title: errors[0]!.title }).to.deep.equal({ code, title });
  return errors[0]!;
}

const malformed: Record<string, string> = { 'application/json': '{"name":', 'application/x-yaml': 'applications: [' };

forEachBackend('every operation answers the request errors it declares', (cf) => {
  for (const operation of operationsOf()) {
    const declares = (status: string) => operation.statuses.includes(status);
    const path = concretePath(operation.path);
    const send = (pathAndQuery: string, init: RequestInit = {}) => cf.server.request(pathAndQuery, { method: operation.method, ...init });
    const title = `${operation.operationId} (${operation.method} ${operation.path})`;

    if (operation.authenticated && declares('401')) {
      it(`${title}: 401 without credentials and with a token nobody issued`, async () => {
        expectError(await send(path), 401, 10002, 'CF-NotAuthenticated');
        expectError(await send(path, { headers: { Authorization: 'Bearer not-a-token-anyone-issued' } }), 401, 1000, 'CF-InvalidAuthToken');
      });
    }

    if (declares('400')) {
      it(`${title}: 400 for an unknown query key${operation.bodyType && malformed[operation.bodyType] ? ' and a body that does not parse' : ''}`, async () => {
        const unknownKey = expectError(
          await send(`${path}?contract_coverage_probe=1`, { headers: cf.admin }),
          400,
          10005,
          'CF-BadQueryParameter',
        );
        expect(unknownKey.detail).to.match(/^The query parameter is invalid: Valid parameters are: /);
        const body = operation.bodyType ? malformed[operation.bodyType] : undefined;
        if (body !== undefined) {
          const headers = { ...cf.admin, 'Content-Type': operation.bodyType! };
          expectError(await send(path, { headers, body }), 400, 1001, 'CF-MessageParseError');
        }
      });
    }

    const invalidQuery = operation.invalidQuery;
    const invalidBody = operation.bodyType === 'application/json';
    if (declares('422') && (invalidQuery || invalidBody)) {
      it(`${title}: 422 for ${invalidQuery ? `${invalidQuery[0]}=${invalidQuery[1]}` : 'an unknown body field'}`, async () => {
        if (invalidQuery) {
          const [key, value] = invalidQuery;
          const query = `${encodeURIComponent(key)}=${value}`;
          const error = expectError(await send(`${path}?${query}`, { headers: cf.admin }), 422, 10008, 'CF-UnprocessableEntity');
          expect(error.detail).to.contain(key);
        } else {
          const headers = { ...cf.admin, 'Content-Type': 'application/json' };
          const error = expectError(
            await send(path, { headers, body: '{"contract_coverage_probe": 1}' }),
            422,
            10008,
            'CF-UnprocessableEntity',
          );
          expect(error.detail).to.contain('contract_coverage_probe');
        }
      });
    }
  }

  it('covers every operation of the document (each gets at least one of the checks above)', () => {
    const unchecked = operationsOf().filter(
      (operation) => operation.authenticated && !operation.statuses.includes('401') && !operation.statuses.includes('400'),
    );
    expect(unchecked.map((operation) => operation.operationId)).to.deep.equal([]);
  });
});
