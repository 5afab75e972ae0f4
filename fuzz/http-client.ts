import { Agent, request as httpRequest } from 'node:http';

/** A request exactly as it goes on the wire (the path already encoded, headers as given). */
export type WireRequest = { method: string; path: string; headers: Record<string, string>; body?: Buffer };

export type WireResponse = { status: number; headers: Headers; text: string; body: unknown };

/**
 * Sends raw requests with node:http rather than fetch: fetch would normalise the path (percent-encoding
 * a stray `%`, resolving `..`) and refuse some headers, and the point is to send what a careless or
 * hostile client sends.
 */
export class WireClient {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 4 });
  readonly #url: URL;

  constructor(baseUrl: string) {
    this.#url = new URL(baseUrl);
  }

  send(wire: WireRequest, timeoutMs = 60_000): Promise<WireResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...wire.headers };
      if (wire.body !== undefined) headers['Content-Length'] = wire.body.length;
      const outgoing = httpRequest(
        {
          agent: this.#agent,
          host: this.#url.hostname,
          port: this.#url.port,
          method: wire.method,
          path: wire.path,
          headers,
          timeout: timeoutMs,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(incoming.headers)) {
              if (value === undefined) continue;
              for (const one of Array.isArray(value) ? value : [value]) responseHeaders.append(name, one);
            }
            let body: unknown = text === '' ? undefined : text;
            if (text !== '' && (responseHeaders.get('content-type') ?? '').includes('json')) {
              try {
                body = JSON.parse(text) as unknown;
              } catch {
                body = text;
              }
            }
            resolve({ status: incoming.statusCode ?? 0, headers: responseHeaders, text, body });
          });
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      outgoing.on('error', reject);
      outgoing.end(wire.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
