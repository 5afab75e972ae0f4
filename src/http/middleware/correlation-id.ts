import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';

const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reads `X-Correlation-ID` (or makes one) and echoes it on every response, errors included. */
export function correlationId(): Middleware {
  return async (ctx, next) => {
    const given = ctx.get('X-Correlation-ID');
    const id = acceptable.test(given) ? given : randomUUID();
    ctx.state['correlationId'] = id;
    ctx.set('X-Correlation-ID', id);
    await next();
  };
}
