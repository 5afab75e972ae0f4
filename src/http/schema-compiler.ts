import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Compiles the OpenAPI document's JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) into validating
 * functions, each on its first use: compiling all of them costs the start-up most of a second, and a
 * server that answers `cf api` at once matters more than a first request of each operation a few
 * milliseconds slower. `compileAll` compiles what is still pending (tests prove every schema compiles).
 * `x-…` extension keys are allowed in schemas.
 */
export class SchemaCompiler {
  readonly #ajv: Ajv2020;
  readonly #pending = new Set<() => void>();

  constructor() {
    this.#ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true, validateFormats: true });
    addFormats.default(this.#ajv);
  }

  /** A validating function that compiles `schema` the first time it is called (or by `compileAll`). */
  compile(schema: Record<string, unknown>): ValidateFunction {
    let compiled: ValidateFunction | undefined;
    const compileNow = () => {
      compiled ??= this.#ajv.compile(schema);
      this.#pending.delete(compileNow);
      return compiled;
    };
    this.#pending.add(compileNow);
    const validate = ((data: unknown) => {
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
}
