import { parseWarnings } from './errors.ts';

/** How requests answered 503 are tried again. */
export type RetryOptions = {
  /** Tries after the first one; 0 turns retrying off. Default 3. */
  retries?: number;
  /** The first wait, doubled on each further try, with up to 50 % random jitter added. Default 250 ms. */
  initialDelayMs?: number;
  /** No wait is longer: neither a backoff step nor a `Retry-After`. A `Retry-After` beyond it gives the 503 back at once. Default 10 s. */
  maxDelayMs?: number;
};

export type Warning = { message: string; method: string; url: string };

export type TransportOptions = {
  /** The `Authorization` header value, asked for each request (so a token can be refreshed). */
  authorization: (() => string | Promise<string>) | undefined;
  userAgent: string;
  retry: Required<RetryOptions>;
  onWarning: ((warning: Warning) => void) | undefined;
  fetch: (request: Request) => Promise<Response>;
};

/**
 * Methods retried on 503. CF's POST and PATCH are not idempotent: the server answers 503 when its
 * controllers did not answer in time, after it may already have written (a package created but not yet
 * initialized), so trying again could create a second resource or apply a change twice.
 */
const idempotent = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** The fetch every call goes through: credentials, User-Agent, 503 retries, warnings. */
export function createTransport(options: TransportOptions): (request: Request) => Promise<Response> {
  return async (original) => {
    const request = await withHeaders(original, options);
    const retries = idempotent.has(request.method) ? options.retry.retries : 0;
    for (let attempt = 0; ; attempt++) {
      // A body can be sent once: every try but the last sends a copy.
      const response = await options.fetch(attempt < retries ? request.clone() : request);
      const wait = response.status === 503 && attempt < retries ? delayFor(response, attempt, options.retry) : undefined;
      if (wait === undefined) {
        report(response, request, options.onWarning);
        return response;
      }
      await response.body?.cancel();
      await sleep(wait, request.signal);
    }
  };
}

async function withHeaders(request: Request, options: TransportOptions): Promise<Request> {
  if (!request.headers.has('authorization') && options.authorization) {
    request.headers.set('authorization', await options.authorization());
  }
  if (!request.headers.has('user-agent')) request.headers.set('user-agent', options.userAgent);
  return request;
}

/** The wait before the next try, or undefined when the server asks for longer than `maxDelayMs`. */
export function delayFor(response: Response, attempt: number, retry: Required<RetryOptions>): number | undefined {
  const asked = retryAfterMs(response.headers.get('retry-after'));
  if (asked !== undefined) return asked > retry.maxDelayMs ? undefined : asked;
  const base = Math.min(retry.initialDelayMs * 2 ** attempt, retry.maxDelayMs);
  return Math.min(base + Math.random() * base * 0.5, retry.maxDelayMs);
}

/** `Retry-After` as seconds or as an HTTP date, in milliseconds from now. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function report(response: Response, request: Request, onWarning: TransportOptions['onWarning']): void {
  if (!onWarning) return;
  for (const message of parseWarnings(response.headers)) onWarning({ message, method: request.method, url: request.url });
}

/** Waits, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
