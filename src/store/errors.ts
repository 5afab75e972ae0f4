/**
 * The few ways a store call fails, whatever the backend. Each backend translates its own errors
 * into these in one place; domain code and the HTTP layer only ever see a StoreError.
 */
export type StoreErrorReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict' // a stale resourceVersion or a concurrent write
  | 'Forbidden' // the identity may not do this
  | 'Unauthorized' // the credentials were rejected by the backend
  | 'Invalid' // the object breaks the kind's schema or a field rule
  | 'Unavailable' // the backend cannot be reached or is overloaded
  | 'Timeout'; // a wait ran out of time

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly reason: StoreErrorReason;

  constructor(reason: StoreErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

export function isStoreError(error: unknown, reason?: StoreErrorReason): error is StoreError {
  return error instanceof StoreError && (reason === undefined || error.reason === reason);
}

/** Wording as Kubernetes puts it, so both backends say the same thing. */
export const storeErrors = {
  notFound: (plural: string, name: string) => new StoreError('NotFound', `${plural} "${name}" not found`),
  alreadyExists: (plural: string, name: string) => new StoreError('AlreadyExists', `${plural} "${name}" already exists`),
  conflict: (plural: string, name: string) =>
    new StoreError(
      'Conflict',
      `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    ),
  forbidden: (user: string, verb: string, resource: string, namespace: string | undefined) =>
    new StoreError(
      'Forbidden',
      `${resource} is forbidden: User "${user}" cannot ${verb} resource "${resource}"` +
        (namespace === undefined ? ' at the cluster scope' : ` in the namespace "${namespace}"`),
    ),
  invalid: (message: string) => new StoreError('Invalid', message),
};
