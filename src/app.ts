import Koa from 'koa';
import type { Authenticator } from './auth/identity.ts';
import { handlers } from './handlers/index.ts';
import { CompiledOperation } from './http/compiled-operation.ts';
import { dispatcher } from './http/dispatcher.ts';
import { cliVersionGate } from './http/middleware/cli-version-gate.ts';
import { correlationId } from './http/middleware/correlation-id.ts';
import { errorResponder } from './http/middleware/error-responder.ts';
import { requestLogging } from './http/middleware/request-logging.ts';
import type { LoadedDocument } from './http/openapi-document.ts';
import { SchemaCompiler } from './http/schema-compiler.ts';
import type { Logger } from './logger.ts';
import type { Runtime } from './runtime.ts';

export type AppDependencies = {
  document: LoadedDocument;
  runtime: Runtime;
  authenticator: Authenticator;
  logger: Logger;
};

/**
 * The composition root of the HTTP side: compiles every operation of the document once, proves each
 * has a handler, and stacks the middleware in Korifi's order (correlation, logging, errors, cf CLI
 * gate, then routing).
 */
export function createApp(dependencies: AppDependencies): Koa {
  const compiler = new SchemaCompiler();
  const operations = dependencies.document.operations.map((operation) => new CompiledOperation(operation, compiler));
  assertEveryOperationHasAHandler(operations.map((operation) => operation.operationId));
  const app = new Koa();
  app.silent = true;
  app.use(correlationId());
  app.use(requestLogging(dependencies.logger));
  app.use(errorResponder());
  app.use(cliVersionGate());
  app.use(dispatcher({ operations, handlers, authenticator: dependencies.authenticator, runtime: dependencies.runtime }));
  return app;
}

/** The start-time half of the handler check (the compile-time half is `satisfies HandlerMap`). */
export function assertEveryOperationHasAHandler(operationIds: readonly string[]): void {
  const declared = new Set(operationIds);
  const missing = operationIds.filter((id) => !Object.hasOwn(handlers, id));
  const extra = Object.keys(handlers).filter((id) => !declared.has(id));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `Handlers do not match the OpenAPI document. Missing: [${missing.join(', ')}]; not in the document: [${extra.join(', ')}]`,
    );
  }
}
