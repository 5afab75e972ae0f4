import type { Context } from 'koa';

const jsonContentType = 'application/json; charset=utf-8';

/**
 * Sets a response body, writing a plain object or array as JSON text here with the headers Koa gives a
 * JSON body (`application/json; charset=utf-8` unless a JSON type is set, and its length): Koa's body
 * setter tests an object body against the fetch classes (`instanceof Response`), and that first look at
 * the global `Response` loads Node's fetch implementation (undici), about 70 ms and 14 MB on the first
 * answer of a server that never fetches anything. Other bodies (text, buffers, streams) go to Koa as they are.
 */
export function setBody(ctx: Context, body: unknown): void {
  if (!isPlainJson(body)) {
    ctx.body = body;
    return;
  }
  // What `ctx.type = 'json'` sets, without its lookup of the MIME type.
  if (!/\bjson\b/i.test(ctx.type)) ctx.set('Content-Type', jsonContentType);
  ctx.body = JSON.stringify(body);
}

function isPlainJson(body: unknown): body is object {
  if (Array.isArray(body)) return true;
  if (typeof body !== 'object' || body === null) return false;
  const prototype: unknown = Object.getPrototypeOf(body);
  return prototype === Object.prototype || prototype === null;
}
