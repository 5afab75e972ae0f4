import type { ValidateFunction } from 'ajv';
import { badQueryParameter, type ApiError } from '../errors/api-error.ts';
import { LabelSelectorError, parseLabelSelector } from '../labels/selector.ts';
import { describeValidationErrors } from './validation-messages.ts';
import type { SchemaCompiler } from './schema-compiler.ts';

/** A query parameter as the dereferenced OpenAPI document declares it. */
export type QueryParameterSpec = { name: string; explode?: boolean; schema?: Record<string, unknown> };

type ParameterReader = { name: string; kind: 'list' | 'repeated' | 'single'; itemType: string | undefined; type: string | undefined };

/**
 * Reads and checks an operation's query string the way CF clients send it: a key the operation does not
 * declare is 400 CF-BadQueryParameter naming the keys it does; only the first value of a key counts
 * (Korifi's rule) unless the parameter is exploded; comma lists (`explode: false`) split on `,` with the
 * cf CLI's double-encoded commas (`%2C` after one decoding) restored inside items; numbers and booleans
 * are read strictly, so `per_page=ten` is an error and not a silent default: the operation's
 * `invalidValue` error (422 CF-UnprocessableEntity for CF's operations, 400 for log-cache's).
 */
export class QueryParameters {
  readonly #readers: ParameterReader[];
  readonly #declared: Set<string>;
  readonly #validate: ValidateFunction;
  readonly #invalidValue: (detail: string) => ApiError;

  constructor(parameters: readonly QueryParameterSpec[], compiler: SchemaCompiler, invalidValue: (detail: string) => ApiError) {
    this.#invalidValue = invalidValue;
    this.#readers = parameters.map(readerFor);
    this.#declared = new Set(parameters.map((parameter) => parameter.name));
    this.#validate = compiler.compile({
      type: 'object',
      properties: Object.fromEntries(parameters.map((parameter) => [parameter.name, parameter.schema ?? {}])),
    });
  }

  /** The query as typed values; throws the CF error for unknown keys or invalid values. */
  parse(search: URLSearchParams): Record<string, unknown> {
    for (const key of search.keys()) {
      if (!this.#declared.has(key)) throw badQueryParameter(this.#readers.map((reader) => reader.name));
    }
    const query: Record<string, unknown> = {};
    for (const reader of this.#readers) {
      if (search.has(reader.name)) query[reader.name] = read(reader, search);
    }
    if (!this.#validate(query)) {
      throw this.#invalidValue(describeValidationErrors(this.#validate.errors ?? []));
    }
    checkLabelSelector(query['label_selector'], this.#invalidValue);
    return query;
  }
}

/** Every operation reads `label_selector` the same way, so its grammar is checked here, once. */
function checkLabelSelector(selector: unknown, invalidValue: (detail: string) => ApiError): void {
  if (typeof selector !== 'string') return;
  try {
    parseLabelSelector(selector);
  } catch (error) {
    if (error instanceof LabelSelectorError) throw invalidValue(`Invalid label_selector value: ${error.message}`);
    throw error;
  }
}

function readerFor(parameter: QueryParameterSpec): ParameterReader {
  const schema = parameter.schema ?? {};
  const type = typeof schema['type'] === 'string' ? schema['type'] : undefined;
  const items = schema['items'] as Record<string, unknown> | undefined;
  const itemType = typeof items?.['type'] === 'string' ? items['type'] : undefined;
  const kind = type !== 'array' ? 'single' : parameter.explode === false ? 'list' : 'repeated';
  return { name: parameter.name, kind, itemType, type };
}

function read(reader: ParameterReader, search: URLSearchParams): unknown {
  switch (reader.kind) {
    case 'repeated':
      return search.getAll(reader.name).map((value) => coerce(value, reader.itemType));
    case 'list':
      return splitList(search.get(reader.name) ?? '').map((value) => coerce(value, reader.itemType));
    case 'single':
      return coerce(search.get(reader.name) ?? '', reader.type);
  }
}

function splitList(value: string): string[] {
  return value.split(',').map((item) => item.trim().replace(/%2C/gi, ','));
}

function coerce(value: string, type: string | undefined): unknown {
  if (type === 'integer') return /^[-+]?\d+$/.test(value) ? Number(value) : value;
  if (type === 'number') return value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}
