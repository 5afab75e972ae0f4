import type { IncomingMessage } from 'node:http';
import type { operations } from '../../generated/openapi-types.ts';
import type { AuthInfo } from '../auth/identity.ts';
import type { Logger } from '../logger.ts';
import type { Runtime } from '../runtime.ts';

export type OperationId = keyof operations;
type Op<K extends OperationId> = operations[K];

type NeverToEmpty<T> = [T] extends [never] ? Record<string, never> : [T] extends [undefined] ? Record<string, never> : T;
type PathOf<K extends OperationId> = Op<K>['parameters'] extends { path: infer P } ? P : never;
type QueryOf<K extends OperationId> = Op<K>['parameters'] extends { query?: infer Q } ? NonNullable<Q> : never;
type ContentOf<T> = T extends { content: { 'application/json': infer B } }
  ? B
  : T extends { content: { 'application/x-yaml': infer Y } }
    ? Y
    : undefined;

/** A request as a handler sees it: path, query and body validated against the document and typed by it. */
export type OpRequest<K extends OperationId> = {
  path: NeverToEmpty<PathOf<K>>;
  query: NeverToEmpty<QueryOf<K>>;
  body: ContentOf<NonNullable<Op<K>['requestBody']>>;
};

type Responses<K extends OperationId> = Op<K>['responses'];
type SuccessStatus<K extends OperationId> = Extract<keyof Responses<K>, 200 | 201 | 202 | 204>;
type BodyOf<R> = ContentOf<R> extends undefined ? { body?: undefined } : { body: ContentOf<R> };

/** A success response typed by the document: a presenter that drifts from the spec does not compile. */
export type OpResponse<K extends OperationId> = {
  [S in SuccessStatus<K>]: { status: S; headers?: Record<string, string>; contentType?: string } & BodyOf<Responses<K>[S]>;
}[SuccessStatus<K>];

/** What a handler may use besides its request: the caller, a request-scoped logger, and the runtime. */
export type Scope = {
  auth: AuthInfo | undefined;
  /** The request's logger (made on first use). */
  readonly log: Logger;
  /** The request's URL as the client addressed it, built on the configured external URL (made on first use). */
  readonly requestUrl: URL;
  runtime: Runtime;
  /**
   * The request as it arrived, for the few operations whose body is not a JSON or YAML document (a
   * package upload is a multipart stream the handler reads itself); other bodies are already read.
   */
  readonly rawRequest: IncomingMessage;
  /** Adds a warning the response carries in `X-Cf-Warnings` (the cf CLI prints each). */
  warn(message: string): void;
};

export type OperationHandler<K extends OperationId> = (request: OpRequest<K>, scope: Scope) => Promise<OpResponse<K>>;

/** One handler per operationId of the document; the compiler rejects a missing one. */
export type HandlerMap = { [K in OperationId]: OperationHandler<K> };
