import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Compiles the OpenAPI document's JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) once at start, so
 * requests are checked by precompiled functions. `x-…` extension keys are allowed in schemas.
 */
export class SchemaCompiler {
  readonly #ajv: Ajv2020;

  constructor() {
    this.#ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true, validateFormats: true });
    addFormats.default(this.#ajv);
  }

  compile(schema: Record<string, unknown>): ValidateFunction {
    return this.#ajv.compile(schema);
  }
}
