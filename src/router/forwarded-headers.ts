import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The headers gorouter adds to a request before it goes to an app instance: the client's address
 * appended to `X-Forwarded-For` (comma and space, as gorouter joins it), `X-Forwarded-Proto` (the
 * client's own if it sent one, as gorouter passes it through by default; else `http`),
 * `X-Forwarded-Host` and `X-Forwarded-Port` unless given, `X-Request-Start` (epoch milliseconds) unless
 * given, and `X-Vcap-Request-Id` (a new UUID unless the client sent one). The Host header is kept.
 */
export function addForwardedHeaders(req: IncomingMessage, receivedAtMs: number): void {
  const headers = req.headers;
  const client = clientAddress(req);
  if (client !== undefined) {
    const prior = headers['x-forwarded-for'];
    headers['x-forwarded-for'] = prior === undefined || prior === '' ? client : `${String(prior)}, ${client}`;
  }
  headers['x-forwarded-proto'] ||= 'http';
  if (headers.host !== undefined) headers['x-forwarded-host'] ||= headers.host;
  if (req.socket.localPort !== undefined) headers['x-forwarded-port'] ||= String(req.socket.localPort);
  headers['x-request-start'] ||= String(receivedAtMs);
  headers['x-vcap-request-id'] ||= randomUUID();
}

/** The instance a request goes to, as gorouter tells the app (`X-CF-ApplicationID`, `X-CF-InstanceIndex`, `X-CF-InstanceID`). */
export function instanceHeaders(instance: { appGuid: string; index: number; host: string; port: number }): Record<string, string> {
  return {
    'x-cf-applicationid': instance.appGuid,
    'x-cf-instanceindex': String(instance.index),
    'x-cf-instanceid': `${instance.host}:${instance.port}`,
  };
}

function clientAddress(req: IncomingMessage): string | undefined {
  const address = req.socket.remoteAddress;
  return address?.startsWith('::ffff:') === true ? address.slice('::ffff:'.length) : address;
}

/** The host of a Host header without its port (`[::1]:80` → `[::1]`, `Example.com:8080` → `Example.com`). */
export function hostWithoutPort(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    return end === -1 ? hostHeader : hostHeader.slice(0, end + 1);
  }
  const colon = hostHeader.indexOf(':');
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}
