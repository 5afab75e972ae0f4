import { request } from 'node:http';

export type RouterAnswer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

/**
 * A GET through the local runtime's router on loopback for `host` (a route's URL host, e.g.
 * `my-app.apps.localhost`), as a browser or curl sends it: Node's resolver does not map `*.localhost`
 * to loopback as they do, so the request goes to 127.0.0.1 with the route's Host header.
 */
export function throughRouter(port: number, host: string, path: string): Promise<RouterAnswer> {
  return new Promise((resolve, reject) => {
    const sent = request({ host: '127.0.0.1', port, path, headers: { Host: `${host}:${port}` }, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on('error', reject);
    });
    sent.on('timeout', () => sent.destroy(new Error(`GET http://${host}:${port}${path} timed out`)));
    sent.on('error', reject);
    sent.end();
  });
}
