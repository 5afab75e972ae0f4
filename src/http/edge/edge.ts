import type { Context, Middleware } from 'koa';
import type { Logger } from '../../logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { referencePath } from '../reference/api-reference.ts';
import type { CliVersionGate } from './cli-version-gate.ts';
import { assignCorrelationId } from './correlation-id.ts';
import { respondWithError } from './error-response.ts';
import { echoTraceHeaders } from './trace-headers.ts';
import { requestLogger, type RequestLogState } from './request-logger.ts';

/**
 * Everything around routing, in Korifi's order, as one Koa middleware (each extra async middleware
 * frame is measurable at this server's request rates): correlation id, the cf CLI version gate, the
 * route itself, the CF error envelope for anything thrown, and one JSON log line per request.
 */
export function edge(options: {
  logger: Logger;
  route: (ctx: Context) => Promise<void>;
  checkCliVersion: CliVersionGate;
  /** Counts each request by operation, method and status (`cfapi_http_requests_total`, ...). */
  metrics?: Metrics;
}): Middleware {
  const { logger, route, checkCliVersion, metrics } = options;
  return async (ctx) => {
    const started = performance.now();
    const state: RequestLogState = { correlationId: assignCorrelationId(ctx), baseLogger: logger };
    ctx.state['requestLog'] = state;
    echoTraceHeaders(ctx);
    try {
      checkCliVersion(ctx.get('User-Agent'));
      await route(ctx);
    } catch (thrown) {
      respondWithError(ctx, thrown, requestLogger(state));
    }
    // An operation by its operationId; anything else by a fixed name (`/api-docs`, `/healthz`, ...,
    // set by what served it), never by its path: the label's values stay few.
    const elapsedMs = performance.now() - started;
    if (metrics !== undefined) {
      const operation = (ctx.state['operationId'] ?? ctx.state['endpoint'] ?? notAnOperation(ctx.path)) as string;
      metrics.observeRequest(operation, ctx.method, ctx.status, elapsedMs / 1000);
    }
    // Nothing to build when request lines are not logged (a level above info).
    if (!logger.isLevelEnabled('info')) return;
    const line = {
      correlationId: state.correlationId,
      method: ctx.method,
      path: ctx.path,
      status: ctx.status,
      operationId: ctx.state['operationId'] as string | undefined,
      durationMs: Math.round(elapsedMs * 1000) / 1000,
    };
    // Written after Koa has sent the response, so logging never adds to a request's latency.
    setImmediate(() => logger.info(line, 'request'));
  };
}

/** The metrics label of a request no operation or endpoint took: the API reference's, or `unmatched`. */
function notAnOperation(path: string): string {
  return path === referencePath || path.startsWith(`${referencePath}/`) ? 'api-docs' : 'unmatched';
}
