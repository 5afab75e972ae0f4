import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The router's own answers, with gorouter's texts and headers (cloudfoundry/gorouter: handlers/lookup.go,
 * handlers/helpers.go, errorwriter/error_writer.go, proxy/round_tripper/error_handler.go): a plain-text
 * body `<code> <status text>: <message>` and a newline, `X-Cf-Routererror` naming the failure, and the
 * cache policy gorouter gives each.
 */
export type RouterError = { status: number; message: string; routerError: string; cacheControl?: string };

/** No route matches the request's host and path (also what a CF user sees for a stopped app). */
export const unknownRoute = (hostHeader: string): RouterError => ({
  status: 404,
  message: `Requested route ('${hostHeader}') does not exist.`,
  routerError: 'unknown_route',
  cacheControl: 'no-cache, no-store',
});

/** A request without a Host header (HTTP/1.0). */
export const emptyHost = (): RouterError => ({
  status: 400,
  message: 'Request had empty Host header',
  routerError: 'empty_host',
  cacheControl: 'public,max-age=2',
});

/** Every instance tried refused, reset or dropped the connection before answering. */
export const endpointFailure = (cause: string): RouterError => ({
  status: 502,
  message: 'Registered endpoint failed to handle the request.',
  routerError: `endpoint_failure (${cause})`,
});

/** Something in the router itself failed (a bug): not one of gorouter's answers, but never a crash. */
export const routerFailure = (): RouterError => ({
  status: 500,
  message: 'The router failed to handle the request.',
  routerError: 'router_failure',
});

const bodyOf = (error: RouterError): string => `${error.status} ${STATUS_CODES[error.status] ?? ''}: ${error.message}\n`;

const headersOf = (error: RouterError, body: string): Record<string, string> => ({
  'Content-Type': 'text/plain; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  'X-Cf-Routererror': error.routerError,
  ...(error.cacheControl === undefined ? {} : { 'Cache-Control': error.cacheControl }),
  'Content-Length': String(Buffer.byteLength(body)),
});

export function writeRouterError(res: ServerResponse, error: RouterError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = bodyOf(error);
  res.writeHead(error.status, headersOf(error, body));
  res.end(body);
}

/** The same answer written on a raw socket (an upgrade request, which has no ServerResponse), then the socket closes. */
export function writeRouterErrorToSocket(socket: Duplex, error: RouterError): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = bodyOf(error);
  const head = Object.entries({ ...headersOf(error, body), Connection: 'close' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n${head}\r\n${body}`);
}

/**
 * A backend failure as gorouter names it in `X-Cf-Routererror` (Go's error texts), so that what users
 * search for matches what CF shows: a refused dial, a reset, a connection closed without an answer.
 */
export function describeBackendFailure(error: NodeJS.ErrnoException, address: string): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${address}: connect: connection refused`;
    case 'ECONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `dial tcp ${address}: i/o timeout`;
    case 'EHOSTUNREACH':
      return `dial tcp ${address}: connect: no route to host`;
    case 'ECONNRESET':
      return error.message === 'socket hang up' ? 'EOF' : `read tcp ${address}: read: connection reset by peer`;
    default:
      return error.message;
  }
}
