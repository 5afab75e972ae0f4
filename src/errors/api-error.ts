/**
 * The CF error catalogue. Handlers and middleware throw these; one middleware presents them as
 * `{"errors":[{code,title,detail}]}`. Codes, titles and default texts follow Korifi, whose strings the
 * cf CLI matches on.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly title: string;
  readonly detail: string;

  constructor(fields: { status: number; code: number; title: string; detail: string; cause?: unknown }) {
    super(fields.detail, { cause: fields.cause });
    this.name = 'ApiError';
    this.status = fields.status;
    this.code = fields.code;
    this.title = fields.title;
    this.detail = fields.detail;
  }

  toJSON(): { errors: { code: number; title: string; detail: string }[] } {
    return { errors: [{ code: this.code, title: this.title, detail: this.detail }] };
  }
}

/** No operation matches the path and method. */
export const unknownRequest = (): ApiError => new ApiError({ status: 404, code: 10000, title: 'CF-NotFound', detail: 'Unknown request' });

/** The resource does not exist or the caller may not see it. */
export const resourceNotFound = (resourceType: string): ApiError =>
  new ApiError({
    status: 404,
    code: 10010,
    title: 'CF-ResourceNotFound',
    detail: `${resourceType} not found. Ensure it exists and you have access to it.`,
  });

/** A user the caller cannot see. The cf CLI matches this exact detail (Korifi's), unlike the generic one above. */
export const userNotFound = (): ApiError =>
  new ApiError({ status: 404, code: 10010, title: 'CF-ResourceNotFound', detail: 'User not found' });

/** The request carries no Authorization header. */
export const notAuthenticated = (): ApiError =>
  new ApiError({ status: 401, code: 10002, title: 'CF-NotAuthenticated', detail: 'Authentication error' });

/** The Authorization header is malformed or its credentials are not accepted. */
export const invalidAuthToken = (cause?: unknown): ApiError =>
  new ApiError({ status: 401, code: 1000, title: 'CF-InvalidAuthToken', detail: 'Invalid Auth Token', cause });

/** The caller may see the resource but not act on it. */
export const notAuthorized = (): ApiError =>
  new ApiError({ status: 403, code: 10003, title: 'CF-NotAuthorized', detail: 'You are not authorized to perform the requested action' });

/** A request the server refuses as a whole, such as one from an unsupported cf CLI. */
export const invalidRequest = (detail: string): ApiError => new ApiError({ status: 400, code: 10004, title: 'CF-InvalidRequest', detail });

/** A query key the operation does not declare; the detail lists the keys it does, in declaration order. */
export const badQueryParameter = (validKeys: readonly string[]): ApiError =>
  new ApiError({
    status: 400,
    code: 10005,
    title: 'CF-BadQueryParameter',
    detail: `The query parameter is invalid: Valid parameters are: ${validKeys.map((key) => `'${key}'`).join(', ')}`,
  });

/**
 * A query value the operation cannot take, where it answers 400 rather than 422 (log-cache's read, whose
 * clients know log-cache's 400 for bad arguments).
 */
export const badQueryValue = (detail: string): ApiError =>
  new ApiError({ status: 400, code: 10005, title: 'CF-BadQueryParameter', detail: `The query parameter is invalid: ${detail}` });

/** The body is not parseable JSON or YAML. */
export const messageParseError = (cause?: unknown): ApiError =>
  new ApiError({
    status: 400,
    code: 1001,
    title: 'CF-MessageParseError',
    detail: 'Request invalid due to parse error: invalid request body',
    cause,
  });

/** The request is well-formed but breaks a rule. */
export const unprocessableEntity = (detail: string): ApiError =>
  new ApiError({ status: 422, code: 10008, title: 'CF-UnprocessableEntity', detail });

/** A name is already taken where it must be unique. */
export const uniquenessError = (detail: string): ApiError =>
  new ApiError({ status: 422, code: 10016, title: 'CF-UniquenessError', detail });

/** The operation is declared in the OpenAPI document but not built yet. */
export const notImplemented = (operationId: string): ApiError =>
  new ApiError({ status: 501, code: 10050, title: 'CF-NotImplemented', detail: `The operation '${operationId}' is not implemented yet.` });

/** Anything unexpected; the cause is logged, never sent. */
export const unknownError = (cause?: unknown): ApiError =>
  new ApiError({ status: 500, code: 10001, title: 'UnknownError', detail: 'An unknown error occurred.', cause });

/** A dependency did not do its part in time (a resource that never became ready); worth retrying later. */
export const serviceUnavailable = (detail: string): ApiError =>
  new ApiError({ status: 503, code: 10015, title: 'CF-ServiceUnavailable', detail });

/** The package's bits could not be pushed to the container registry (Korifi's text). */
export const blobstoreUnavailable = (cause?: unknown): ApiError =>
  new ApiError({
    status: 502,
    code: 150006,
    title: 'CF-BlobstoreUnavailable',
    detail: 'Error uploading source package to the container registry',
    cause,
  });
