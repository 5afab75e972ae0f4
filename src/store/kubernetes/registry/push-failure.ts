import { blobstoreUnavailable, type ApiError } from '../../../errors/api-error.ts';
import { isRegistryError } from './registry-error.ts';
import { InvalidZipError } from './zip-layer.ts';

/**
 * The CF error for a failed package push: 502 `CF-BlobstoreUnavailable` (150006) for whatever the
 * registry did (unreachable, credentials refused, an unexpected answer) and, as in Korifi, whose
 * uploader fails the same way, for bits that are not a zip. Undefined for anything else, which is not a
 * push failure (`throw pushFailure(error) ?? error`).
 */
export function pushFailure(error: unknown): ApiError | undefined {
  return isRegistryError(error) || error instanceof InvalidZipError ? blobstoreUnavailable(error) : undefined;
}
