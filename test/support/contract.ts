import type { ValidateFunction } from 'ajv';
import type { DocumentOperation } from '../../src/http/compiled-operation.ts';
import { loadDocument } from '../../src/http/openapi-document.ts';
import { OperationRouter } from '../../src/http/operation-router.ts';
import { SchemaCompiler } from '../../src/http/schema-compiler.ts';
import { describeValidationErrors } from '../../src/http/validation-messages.ts';

type Operation = DocumentOperation & { operationId: string; responses?: Record<string, ResponseSpec> };
type ResponseSpec = { content?: Record<string, { schema?: Record<string, unknown> }>; headers?: Record<string, { required?: boolean }> };

export type ObservedResponse = { method: string; path: string; status: number; headers: Headers; body: unknown };

/** Told of every response that passed a check: its operation (undefined when no operation matched) and status. */
export type CoverageRecorder = { record: (operationId: string | undefined, status: number) => void };

/**
 * Checks every response a test receives against the OpenAPI document: the operation's declared
 * response for that status (or `default`), its JSON schema and its required headers. A response to a
 * request no operation matches must still be a CF error envelope.
 */
export class ContractChecker {
  readonly #router: OperationRouter<Operation>;
  readonly #compiler = new SchemaCompiler();
  readonly #validators = new Map<object, ValidateFunction>();
  readonly #errorsSchema: Record<string, unknown>;
  readonly #coverage: CoverageRecorder | undefined;

  private constructor(operations: Operation[], errorsSchema: Record<string, unknown>, coverage: CoverageRecorder | undefined) {
    this.#router = new OperationRouter(operations);
    this.#errorsSchema = errorsSchema;
    this.#coverage = coverage;
  }

  /**
   * `coverage`: told of every response that passes (contractFetch and the e2e CLI pass the run's
   * contract coverage; checkers of made-up responses pass none).
   */
  static async load(options: { coverage?: CoverageRecorder } = {}): Promise<ContractChecker> {
    const { document, operations } = await loadDocument();
    const schemas = (document.components?.schemas ?? {}) as Record<string, Record<string, unknown>>;
    return new ContractChecker(operations as Operation[], schemas['Errors']!, options.coverage);
  }

  /** Returns the problems found; an empty list means the response matches the document. */
  check(response: ObservedResponse): string[] {
    const match = this.#router.match(response.method, response.path);
    const problems = this.#check(response, match?.operation);
    if (problems.length === 0) this.#coverage?.record(match?.operation.operationId, response.status);
    return problems;
  }

  #check(response: ObservedResponse, operation: Operation | undefined): string[] {
    const where = `${response.method} ${response.path} → ${response.status}`;
    if (!operation) return this.#validate(this.#errorsSchema, response.body, `${where} (no operation)`);
    const declared = operation.responses?.[String(response.status)] ?? operation.responses?.['default'];
    if (!declared) return [`${where}: status not declared by ${operation.operationId}`];
    return [...missingHeaders(declared, response, where), ...this.#checkBody(declared, response, `${where} (${operation.operationId})`)];
  }

  #checkBody(declared: ResponseSpec, response: ObservedResponse, where: string): string[] {
    const schema = declared.content?.['application/json']?.schema;
    if (schema) return this.#validate(schema, response.body, where);
    if (!declared.content && response.body !== undefined) return [`${where}: body sent where the document declares none`];
    return [];
  }

  #validate(schema: Record<string, unknown>, body: unknown, where: string): string[] {
    let validate = this.#validators.get(schema);
    if (!validate) {
      validate = this.#compiler.compile(schema);
      this.#validators.set(schema, validate);
    }
    return validate(body) ? [] : [`${where}: ${describeValidationErrors(validate.errors ?? [])} in ${JSON.stringify(body)}`];
  }
}

function missingHeaders(declared: ResponseSpec, response: ObservedResponse, where: string): string[] {
  return Object.entries(declared.headers ?? {})
    .filter(([name, header]) => header.required === true && !response.headers.has(name))
    .map(([name]) => `${where}: missing header ${name}`);
}
