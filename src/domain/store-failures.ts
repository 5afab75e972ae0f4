import { ApiError, invalidAuthToken, notAuthorized, resourceNotFound, unprocessableEntity } from '../errors/api-error.ts';
import { isStoreError } from '../store/errors.ts';
import type { AccessTarget, AccessVerb, StoreSession } from '../store/port.ts';

/**
 * How a failed store call reaches the client: a missing object is the resource's 404, a denial 403,
 * rejected credentials 401, an object the backend refuses 422 with its reason. Anything else (the
 * backend unavailable, a timeout) stays a server error and is logged.
 */
export function apiErrorOf(error: unknown, resourceType: string): unknown {
  if (error instanceof ApiError || !isStoreError(error)) return error;
  switch (error.reason) {
    case 'NotFound':
      return resourceNotFound(resourceType);
    case 'Forbidden':
      return notAuthorized();
    case 'Unauthorized':
      return invalidAuthToken(error);
    case 'Invalid':
      // Not the backend's object kind and name, which mean nothing to a CF client: only what is wrong.
      return unprocessableEntity(`${resourceType} is invalid: ${error.message.replace(/^.*? is invalid: /, '')}`);
    default:
      return error;
  }
}

/** Reads as the caller; a denial means they may not see it, which is a 404 like a missing object. */
export async function readOrNotFound<T>(read: Promise<T>, resourceType: string): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (isStoreError(error, 'Forbidden') || isStoreError(error, 'NotFound')) throw resourceNotFound(resourceType);
    throw apiErrorOf(error, resourceType);
  }
}

/** Runs a write as the caller, turning store failures into CF errors. */
export async function asCfError<T>(write: Promise<T>, resourceType: string): Promise<T> {
  try {
    return await write;
  } catch (error) {
    throw apiErrorOf(error, resourceType);
  }
}

/** Whether the caller may do this (an access review), with a failed review as a CF error. */
export function mayI(context: { user: StoreSession }, verb: AccessVerb, target: AccessTarget, resourceType: string): Promise<boolean> {
  return asCfError(context.user.canI(verb, target), resourceType);
}

/** A lookup of a referenced resource: not finding it is the given error (CF says 422 for a bad reference). */
export async function referenced<T>(lookup: Promise<T>, whenMissing: () => ApiError): Promise<T> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw whenMissing();
    throw error;
  }
}
