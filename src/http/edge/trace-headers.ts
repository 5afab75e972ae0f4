import type { Context } from 'koa';

const traceId = /^[0-9a-f]{16}(?:[0-9a-f]{16})?$/;
const spanId = /^[0-9a-f]{16}$/;

/**
 * Echoes the Zipkin B3 ids a client sent (`X-B3-Traceid`, `X-B3-Spanid`; the cf CLI sends both), as
 * Cloud Controller does: a client that runs requests at once (the CLI polls a build while it reads
 * logs) can then tell which response answers which request. Malformed ids are not echoed.
 */
export function echoTraceHeaders(ctx: Context): void {
  const trace = ctx.get('X-B3-Traceid');
  const span = ctx.get('X-B3-Spanid');
  if (trace !== '' && traceId.test(trace)) ctx.set('X-B3-Traceid', trace);
  if (span !== '' && spanId.test(span)) ctx.set('X-B3-Spanid', span);
}
