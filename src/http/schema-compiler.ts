import { createRequire } from 'node:module';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import type addFormats from 'ajv-formats';

const require = createRequire(import.meta.url);

/**
 * Compiles the OpenAPI document's JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) into validating
 * functions, each on its first use: compiling all of them costs the start-up most of a second, and a
 * server that answers `cf api` at once matters more than a first request of each operation a few
 * milliseconds slower. Ajv itself (about 40 ms and 12 MB with its formats) loads with the first schema
 * compiled, and an operation that declares no query parameters never compiles its empty query schema
 * for an object (`GET /v3/info` needs neither). `compileAll` compiles what is still pending (tests
 * prove every schema compiles). `x-…` extension keys are allowed in schemas.
 */
export class SchemaCompiler {
  #ajv: Ajv2020 | undefined;
  readonly #pending = new Set<() => void>();

  /** A validating function that compiles `schema` the first time it is called (or by `compileAll`). */
  compile(schema: Record<string, unknown>): ValidateFunction {
    let compiled: ValidateFunction | undefined;
    const compileNow = () => {
      compiled ??= this.#instance().compile(schema);
      this.#pending.delete(compileNow);
      return compiled;
    };
    this.#pending.add(compileNow);
    const anyObject = acceptsEveryObject(schema);
    const validate = ((data: unknown) => {
      if (anyObject && compiled === undefined && isPlainObject(data)) {
        validate.errors = null;
        return true;
      }
      const inner = compileNow();
      const valid = inner(data);
      validate.errors = inner.errors ?? null;
      return valid;
    }) as ValidateFunction;
    validate.errors = null;
    return validate;
  }

  /** Compiles every schema not yet compiled; throws what a broken schema throws. */
  compileAll(): void {
    for (const compileNow of [...this.#pending]) compileNow();
  }

  /** Ajv is CommonJS, so it can be required synchronously where the first schema compiles. */
  #instance(): Ajv2020 {
    if (this.#ajv === undefined) {
      const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
      const formats = require('ajv-formats') as typeof addFormats;
      this.#ajv = new Ajv({ allErrors: true, strict: false, verbose: true, validateFormats: true });
      formats.default(this.#ajv);
    }
    return this.#ajv;
  }
}

/** `{type: 'object', properties: {}}` and nothing else: what the query schema of an operation without query parameters is. */
function acceptsEveryObject(schema: Record<string, unknown>): boolean {
  const keys = Object.keys(schema);
  const properties = schema['properties'];
  return (
    keys.length === 2 &&
    schema['type'] === 'object' &&
    typeof properties === 'object' &&
    properties !== null &&
    Object.keys(properties).length === 0
  );
}

function isPlainObject(data: unknown): boolean {
  return typeof data === 'object' && data !== null && !Array.isArray(data);
}
