import { StoreError, type StoreErrorReason } from '../errors.ts';
import { KubernetesHttpError } from './rest-client.ts';

const reasonsByStatus: Record<number, StoreErrorReason> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Conflict',
  422: 'Invalid',
  400: 'Invalid',
  429: 'Unavailable',
  500: 'Unavailable',
  503: 'Unavailable',
  504: 'Timeout',
};

/** The one place the Kubernetes backend turns apiserver and network failures into StoreErrors. */
export function translateKubernetesError(error: unknown): Error {
  if (error instanceof StoreError) return error;
  if (error instanceof KubernetesHttpError) return fromStatus(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|UND_ERR)/.test(code)) {
    return new StoreError('Unavailable', `the Kubernetes API cannot be reached: ${(error as Error).message}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function fromStatus(error: KubernetesHttpError): StoreError {
  const message = error.body?.message ?? error.message;
  // 409 is both "already exists" and "stale resourceVersion"; the Status reason tells them apart.
  if (error.statusCode === 409 && error.body?.reason === 'AlreadyExists') return new StoreError('AlreadyExists', message, { cause: error });
  const reason = reasonsByStatus[error.statusCode] ?? (error.statusCode >= 500 ? 'Unavailable' : 'Invalid');
  return new StoreError(reason, message, { cause: error });
}
