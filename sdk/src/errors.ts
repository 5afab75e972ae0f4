import type { components } from './generated/schema.ts';

/** One error of Cloud Foundry's error envelope: `{"errors": [{"code", "title", "detail"}]}`. */
export type CfErrorEntry = components['schemas']['Error'];
export type CfJob = components['schemas']['Job'];

/**
 * A request the server refused or failed: any response outside 2xx. `code`, `title` and `detail` are the
 * first CF error of the body (`errors` holds all of them); a body that is not CF's envelope (a proxy's
 * HTML page, say) gives no `code` and the body's start as `detail`.
 */
export class CfApiError extends Error {
  override readonly name: string = 'CfApiError';
  /** The HTTP status; undefined for a job that failed (the job itself was read with a 200). */
  readonly status: number | undefined;
  readonly code: number | undefined;
  readonly title: string;
  readonly detail: string;
  readonly errors: readonly CfErrorEntry[];
  readonly method: string;
  readonly url: string;
  /** The server's `X-Correlation-ID`, to find the request in its log. */
  readonly correlationId: string | undefined;
  /** The decoded `X-Cf-Warnings` of the response. */
  readonly warnings: readonly string[];

  constructor(init: {
    status: number | undefined;
    errors: readonly CfErrorEntry[];
    method: string;
    url: string;
    correlationId?: string | undefined;
    warnings?: readonly string[];
    fallbackDetail?: string;
  }) {
    const first = init.errors[0];
    const title = first?.title ?? (init.status === undefined ? 'UnknownError' : `HTTP ${init.status}`);
    const detail = first?.detail ?? init.fallbackDetail ?? '';
    super(`${init.method} ${init.url}: ${init.status ?? 'job'} ${title}${first ? ` (${first.code})` : ''}: ${detail}`);
    this.status = init.status;
    this.code = first?.code;
    this.title = title;
    this.detail = detail;
    this.errors = init.errors;
    this.method = init.method;
    this.url = init.url;
    this.correlationId = init.correlationId;
    this.warnings = init.warnings ?? [];
  }

  /** Builds the error from a non-2xx response whose body was already read (`body`: parsed JSON or text). */
  static fromResponse(request: { method: string; url: string }, response: Response, body: unknown): CfApiError {
    const errors = cfErrorsOf(body);
    return new CfApiError({
      status: response.status,
      errors,
      method: request.method,
      url: request.url,
      correlationId: response.headers.get('x-correlation-id') ?? undefined,
      warnings: parseWarnings(response.headers),
      ...(errors.length === 0 ? { fallbackDetail: textOf(body) } : {}),
    });
  }
}

/** A job that ended FAILED: its CF errors, as a `CfApiError` whose `status` is undefined. */
export class CfJobFailedError extends CfApiError {
  override readonly name: string = 'CfJobFailedError';
  readonly job: CfJob;

  constructor(job: CfJob, url: string) {
    super({ status: undefined, errors: job.errors, method: 'JOB', url, warnings: job.warnings.map((warning) => warning.detail) });
    this.job = job;
  }
}

/** A job still not finished when `waitForJob`'s timeout ran out. */
export class CfJobTimeoutError extends Error {
  override readonly name: string = 'CfJobTimeoutError';
  readonly job: CfJob | undefined;

  constructor(jobGuid: string, timeoutMs: number, job: CfJob | undefined) {
    super(`job ${jobGuid} did not finish within ${timeoutMs} ms (last state: ${job?.state ?? 'unknown'})`);
    this.job = job;
  }
}

function cfErrorsOf(body: unknown): CfErrorEntry[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { errors?: unknown }).errors)) return [];
  return (body as { errors: unknown[] }).errors.filter(
    (entry): entry is CfErrorEntry =>
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as CfErrorEntry).code === 'number' &&
      typeof (entry as CfErrorEntry).title === 'string' &&
      typeof (entry as CfErrorEntry).detail === 'string',
  );
}

function textOf(body: unknown): string {
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** `X-Cf-Warnings`: comma-separated, each item URL-encoded. */
export function parseWarnings(headers: Headers): string[] {
  const header = headers.get('x-cf-warnings');
  if (!header) return [];
  return header
    .split(',')
    .filter((item) => item.trim() !== '')
    .map((item) => {
      try {
        return decodeURIComponent(item.trim().replace(/\+/g, ' '));
      } catch {
        return item.trim();
      }
    });
}
