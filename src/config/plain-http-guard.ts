import { BlockList, isIP } from 'node:net';
import type { ParsedConfig } from './schema.ts';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * Whether only this machine can reach `host`: `localhost`, 127.0.0.0/8 or ::1 (also IPv4-mapped,
 * `::ffff:127.0.0.1`). The wildcards 0.0.0.0 and :: listen on every interface, so they are not; nor is
 * any other name, which may resolve to anything.
 */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  if (family === 0) return false;
  return loopback.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Why plain HTTP on a reachable address is refused, unless `listen.allowPlainHttp` says TLS is
 * terminated in front of the server: clients send bearer tokens, and with `ClientCert` their private
 * keys, in the `Authorization` header, readable by anyone on the path. Undefined when it is fine.
 */
export function plainHttpProblem(config: Pick<ParsedConfig, 'listen' | 'tls'>): string | undefined {
  const { host, allowPlainHttp } = config.listen;
  if (config.tls || allowPlainHttp || isLoopbackHost(host)) return undefined;
  return (
    `Refusing to serve plain HTTP on ${host}, which is not a loopback address: clients send bearer tokens and ` +
    `private keys (cf CLI client certificates) in the Authorization header, so anyone on the network could read them. ` +
    `Configure tls.certFile and tls.keyFile (CFAPI_TLS_CERT_FILE, CFAPI_TLS_KEY_FILE), or, if TLS is terminated in ` +
    `front of this server (e.g. by an ingress), set listen.allowPlainHttp: true (CFAPI_LISTEN_ALLOW_PLAIN_HTTP=true).`
  );
}
