import { Agent, request as httpRequest } from 'node:http';

/** One request of the load and how it went: a status, or a socket error when there was no answer. */
export type LoadResult = {
  client: string;
  method: string;
  path: string;
  expected: number[];
  status?: number;
  /** Which replica answered (the test load balancer's `X-LB-Endpoint`). */
  endpoint?: string;
  error?: string;
  body?: string;
  startedMs: number;
  durationMs: number;
};

export const failed = (result: LoadResult): boolean => result.status === undefined || !result.expected.includes(result.status);

/**
 * A client with one keep-alive connection (Node's HTTP client: it never retries), sending one request at
 * a time and recording every outcome. `call` resolves with the parsed JSON body when the status is an
 * expected one, else undefined (the outcome is recorded either way).
 */
export class KeepAliveClient {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 1 });
  readonly #baseUrl: URL;
  readonly #headers: Record<string, string>;
  readonly #results: LoadResult[];
  readonly name: string;

  constructor(name: string, baseUrl: string, headers: Record<string, string>, results: LoadResult[]) {
    this.name = name;
    this.#baseUrl = new URL(baseUrl);
    this.#headers = headers;
    this.#results = results;
  }

  async call(method: string, path: string, expected: number[], options: CallOptions = {}): Promise<unknown> {
    const startedMs = Date.now();
    const result: LoadResult = { client: this.name, method, path, expected, startedMs, durationMs: 0 };
    try {
      const answer = await this.#send(method, path, options);
      Object.assign(result, answer);
    } catch (error) {
      result.error = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
    result.durationMs = Date.now() - startedMs;
    this.#results.push(result);
    if (failed(result) || result.body === undefined || result.body === '') return undefined;
    try {
      return JSON.parse(result.body) as unknown;
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.#agent.destroy();
  }

  #send(method: string, path: string, options: CallOptions): Promise<{ status: number; endpoint: string; body: string }> {
    const json = options.body === undefined ? undefined : JSON.stringify(options.body);
    // Padded with whitespace (still the same JSON) so that every piece has something to send.
    const body = options.slowBody && json !== undefined ? `${json}${' '.repeat(options.slowBody.pieces)}` : json;
    const chunks = options.slowBody ? split(body ?? '', options.slowBody.pieces) : undefined;
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: this.#baseUrl.hostname,
          port: this.#baseUrl.port,
          method,
          path,
          agent: this.#agent,
          headers: {
            ...this.#headers,
            ...options.headers,
            ...(body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }),
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, endpoint: String(response.headers['x-lb-endpoint'] ?? ''), body: text }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      if (chunks === undefined) {
        request.end(body);
        return;
      }
      void (async () => {
        for (const [index, chunk] of chunks.entries()) {
          if (index > 0) await new Promise((next) => setTimeout(next, options.slowBody!.intervalMs));
          request.write(chunk);
        }
        request.end();
      })();
    });
  }
}

export type CallOptions = {
  body?: unknown;
  headers?: Record<string, string>;
  /** Sends the body in `pieces` parts `intervalMs` apart (an upload over a slow link). */
  slowBody?: { pieces: number; intervalMs: number };
};

function split(text: string, pieces: number): string[] {
  const size = Math.ceil(text.length / pieces);
  return Array.from({ length: pieces }, (_, index) => text.slice(index * size, (index + 1) * size)).filter(Boolean);
}
