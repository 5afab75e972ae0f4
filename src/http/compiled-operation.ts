import type { ValidateFunction } from 'ajv';
import { badQueryValue, unprocessableEntity } from '../errors/api-error.ts';
import { QueryParameters, type QueryParameterSpec } from './query-parameters.ts';
import type { BodyFormat } from './request-body.ts';
import type { SchemaCompiler } from './schema-compiler.ts';
import { describeValidationErrors } from './validation-messages.ts';

/** An operation of the dereferenced document, as openapi-backend lists it. */
export type DocumentOperation = {
  operationId?: string;
  method: string;
  path: string;
  parameters?: unknown[];
  security?: Record<string, unknown>[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Record<string, unknown> }> };
  responses?: Record<string, unknown>;
};

type Parameter = QueryParameterSpec & { in: string };

export type BodySpec = { format: BodyFormat; required: boolean; validate: ValidateFunction } | { format: 'raw' } | undefined;

/** Everything needed to check one operation's requests, compiled once at start. */
export class CompiledOperation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly requiresAuthentication: boolean;
  readonly query: QueryParameters;
  readonly body: BodySpec;
  readonly #pathTypes: Map<string, string | undefined>;
  readonly #hasIntegerPathParams: boolean;

  constructor(operation: DocumentOperation, compiler: SchemaCompiler) {
    if (!operation.operationId) throw new Error(`${operation.method.toUpperCase()} ${operation.path} has no operationId`);
    this.operationId = operation.operationId;
    this.method = operation.method;
    this.path = operation.path;
    this.requiresAuthentication = (operation.security ?? []).length > 0;
    const parameters = (operation.parameters ?? []) as Parameter[];
    // The document says which error a bad query value gets: 422 where the operation declares one (CF's
    // operations), else 400 (log-cache's read, as log-cache answers).
    this.query = new QueryParameters(
      parameters.filter((parameter) => parameter.in === 'query'),
      compiler,
      operation.responses?.['422'] === undefined ? badQueryValue : unprocessableEntity,
    );
    this.#pathTypes = new Map(
      parameters
        .filter((parameter) => parameter.in === 'path')
        .map((parameter) => [parameter.name, parameter.schema?.['type'] as string | undefined]),
    );
    this.#hasIntegerPathParams = [...this.#pathTypes.values()].includes('integer');
    this.body = compileBody(operation.requestBody, compiler);
  }

  /** Path parameters typed as declared; an integer parameter that is not one is a 422. */
  typedPathParams(params: Record<string, string>): Record<string, string | number> {
    // Most operations have only text parameters: nothing to convert.
    if (!this.#hasIntegerPathParams) return params;
    const typed: Record<string, string | number> = {};
    for (const [name, value] of Object.entries(params)) {
      if (this.#pathTypes.get(name) !== 'integer') {
        typed[name] = value;
      } else if (/^\d+$/.test(value)) {
        typed[name] = Number(value);
      } else {
        throw unprocessableEntity(`${name} must be an integer`);
      }
    }
    return typed;
  }

  /** Checks a parsed body against the document; throws 422 with every problem. */
  validateBody(body: unknown): void {
    if (!this.body || this.body.format === 'raw' || body === undefined) return;
    if (!this.body.validate(body)) throw unprocessableEntity(describeValidationErrors(this.body.validate.errors ?? []));
  }
}

function compileBody(requestBody: DocumentOperation['requestBody'], compiler: SchemaCompiler): BodySpec {
  const content = requestBody?.content;
  if (!content) return undefined;
  const required = requestBody.required === true;
  const json = content['application/json'];
  if (json) return { format: 'json', required, validate: compiler.compile(json.schema ?? {}) };
  const yaml = content['application/x-yaml'];
  if (yaml) return { format: 'yaml', required, validate: compiler.compile(yaml.schema ?? {}) };
  return { format: 'raw' };
}
