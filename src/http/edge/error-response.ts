import type { Context } from 'koa';
import { ApiError, unknownError } from '../../errors/api-error.ts';
import type { Logger } from '../../logger.ts';
import { setBody } from '../json-body.ts';

/**
 * The one place errors become responses: an ApiError is presented as CF's error envelope; anything
 * else is logged with its cause and the correlation id, and the client sees only UnknownError. Other
 * server-side statuses (501, 502, 503) are expected conditions: a warning, without a stack.
 */
export function respondWithError(ctx: Context, thrown: unknown, log: Logger): void {
  const error = thrown instanceof ApiError ? thrown : unknownError(thrown);
  const operationId = ctx.state['operationId'] as string | undefined;
  if (error.status === 500) log.error({ err: error.cause ?? error, operationId }, error.detail);
  else if (error.status > 500) log.warn({ code: error.code, detail: error.detail, operationId }, error.title);
  else log.debug({ code: error.code, detail: error.detail }, 'request refused');
  ctx.status = error.status;
  setBody(ctx, error.toJSON());
}
