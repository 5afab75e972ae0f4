import { unprocessableEntity, type ApiError } from '../../errors/api-error.ts';

/** A request names an org the caller cannot see (Korifi's and CF's wording). */
export const invalidOrganization = (): ApiError =>
  unprocessableEntity('Invalid organization. Ensure the organization exists and you have access to it.');

/** A request names a space the caller cannot see. */
export const invalidSpace = (): ApiError => unprocessableEntity('Invalid space. Ensure that the space exists and you have access to it.');
