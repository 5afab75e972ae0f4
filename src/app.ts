import Koa from 'koa';
import type { Authenticator } from './auth/identity.ts';
import { handlers } from './handlers/index.ts';
import { CompiledOperation } from './http/compiled-operation.ts';
import { dispatcher } from './http/dispatcher.ts';
import { RequestAuthenticator } from './http/request-authenticator.ts';
import { cliVersionGate } from './http/edge/cli-version-gate.ts';
import { edge } from './http/edge/edge.ts';
import { documentUrl, type LoadedDocument } from './http/openapi-document.ts';
import { withApiReference } from './http/reference/api-reference.ts';
import { SchemaCompiler } from './http/schema-compiler.ts';
import type { HandlerMap } from './http/operation.ts';
import type { Logger } from './logger.ts';
import { withHealthEndpoints } from './observability/health.ts';
import { Lifecycle } from './observability/lifecycle.ts';
import { Metrics } from './observability/metrics.ts';
import type { Runtime } from './runtime.ts';

export type AppDependencies = {
  document: LoadedDocument;
  runtime: Runtime;
  authenticator: Authenticator;
  logger: Logger;
  /** Whether this process is draining for shutdown (`/readyz`); a fresh one when absent. */
  lifecycle?: Lifecycle;
  /**
   * This server's metrics (the backend's, so that its store calls and reconcilers count in them, and
   * `/readyz` reads the reconcilers' state from them); a fresh set when absent.
   */
  metrics?: Metrics;
  /** The handlers to route to; the real ones unless a test substitutes some. */
  handlers?: HandlerMap;
};

/**
 * The composition root of the HTTP side: compiles every operation of the document once, proves each
 * has a handler, and puts the edge (correlation id, cf CLI gate, errors, request log, request metrics)
 * around routing, the API reference page and the probe and metrics endpoints.
 */
export function createApp(dependencies: AppDependencies): Koa {
  const compiler = new SchemaCompiler();
  const operations = dependencies.document.operations.map((operation) => new CompiledOperation(operation, compiler));
  const routedHandlers = dependencies.handlers ?? handlers;
  assertEveryOperationHasAHandler(
    operations.map((operation) => operation.operationId),
    routedHandlers,
  );
  const app = new Koa();
  app.silent = true;
  const config = dependencies.runtime.config;
  const metrics = dependencies.metrics ?? new Metrics();
  const dispatch = dispatcher({
    operations,
    handlers: routedHandlers,
    authenticator: new RequestAuthenticator({ authenticator: dependencies.authenticator, counters: metrics.authCache }),
    runtime: dependencies.runtime,
  });
  // The API reference (`/api-docs`) and the probes and metrics (`/healthz`, `/readyz`, `/metrics`) are
  // served before routing and authentication; they are not operations.
  const route = withHealthEndpoints(withApiReference(dispatch, { documentUrl, externalUrl: config.externalUrl }), {
    lifecycle: dependencies.lifecycle ?? new Lifecycle(),
    metrics,
    metricsEnabled: config.metrics.enabled,
    store: dependencies.runtime.store,
    rootNamespace: config.rootNamespace,
    logger: dependencies.logger,
  });
  const checkCliVersion = cliVersionGate(config.info.minCliVersion);
  app.use(edge({ logger: dependencies.logger, route, checkCliVersion, metrics }));
  return app;
}

/** The start-time half of the handler check (the compile-time half is `satisfies HandlerMap`). */
export function assertEveryOperationHasAHandler(operationIds: readonly string[], map: object = handlers): void {
  const declared = new Set(operationIds);
  const missing = operationIds.filter((id) => !Object.hasOwn(map, id));
  const extra = Object.keys(map).filter((id) => !declared.has(id));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `Handlers do not match the OpenAPI document. Missing: [${missing.join(', ')}]; not in the document: [${extra.join(', ')}]`,
    );
  }
}
