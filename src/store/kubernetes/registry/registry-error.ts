/**
 * How a registry call failed: `unavailable` (not reachable, TLS refused, 5xx), `unauthorized`
 * (credentials missing or rejected), `denied` (authenticated but not allowed), `not-found`, or
 * `protocol` (an answer this client does not expect). The message names the registry and what it said.
 */
export type RegistryErrorKind = 'unavailable' | 'unauthorized' | 'denied' | 'not-found' | 'protocol';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly kind: RegistryErrorKind;
  readonly status: number | undefined;

  constructor(kind: RegistryErrorKind, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.status = options.status;
  }
}

export function isRegistryError(error: unknown, kind?: RegistryErrorKind): error is RegistryError {
  return error instanceof RegistryError && (kind === undefined || error.kind === kind);
}

export function registryErrorForStatus(status: number, what: string, body: string): RegistryError {
  const said = registryErrorText(body);
  const message = `${what}: HTTP ${status}${said ? ` (${said})` : ''}`;
  if (status === 401) return new RegistryError('unauthorized', message, { status });
  if (status === 403) return new RegistryError('denied', message, { status });
  if (status === 404) return new RegistryError('not-found', message, { status });
  if (status >= 500 || status === 429) return new RegistryError('unavailable', message, { status });
  return new RegistryError('protocol', message, { status });
}

/** The registry's `{"errors":[{"code","message"}]}` body as one line, or the start of any other body. */
function registryErrorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    if (Array.isArray(parsed.errors))
      return parsed.errors.map((error) => [error.code, error.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    // not JSON: fall through
  }
  return body.trim().slice(0, 200);
}
