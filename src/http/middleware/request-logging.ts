import type { Middleware } from 'koa';
import type { Logger } from '../../logger.ts';

/** One JSON log line per request, after the response is decided; gives handlers a child logger. */
export function requestLogging(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    ctx.state['log'] = logger.child({ correlationId: ctx.state['correlationId'] as string });
    try {
      await next();
    } finally {
      const log = ctx.state['log'] as Logger;
      log.info(
        {
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          operationId: ctx.state['operationId'] as string | undefined,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    }
  };
}
