import { ApiError, invalidRequest, resourceNotFound, unprocessableEntity } from '../errors/api-error.ts';

/**
 * Package bits the server refuses: not a zip, entries escaping the package's root, over a limit, a
 * matched resource that is not held. `detail` is the exact text the user reads (422
 * CF-UnprocessableEntity).
 */
export class InvalidPackageBits extends Error {
  override readonly name = 'InvalidPackageBits';
  readonly detail: string;

  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.detail = detail;
  }

  toApiError(): ApiError {
    return withCause(unprocessableEntity(this.detail), this);
  }
}

/** An upload body that is not a multipart form the server can read (Korifi: 400 CF-InvalidRequest). */
export class UnparseableUpload extends Error {
  override readonly name = 'UnparseableUpload';
  /** Korifi's text for any multipart parse failure. */
  static readonly detail = 'Unable to parse body as multipart form';

  toApiError(): ApiError {
    return withCause(invalidRequest(UnparseableUpload.detail), this);
  }
}

/** The store holds no bits for the package. */
export class PackageBitsNotFound extends Error {
  override readonly name = 'PackageBitsNotFound';

  toApiError(): ApiError {
    return withCause(resourceNotFound('Package bits'), this);
  }
}

function withCause(error: ApiError, cause: Error): ApiError {
  return new ApiError({ status: error.status, code: error.code, title: error.title, detail: error.detail, cause });
}
