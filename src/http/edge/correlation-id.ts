import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';

const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

/** Reads `X-Correlation-ID` (or makes one) and echoes it on the response, errors included. */
export function assignCorrelationId(ctx: Context): string {
  const given = ctx.get('X-Correlation-ID');
  const id = acceptable.test(given) ? given : randomUUID();
  ctx.set('X-Correlation-ID', id);
  return id;
}
