import type { components } from '../../../generated/openapi-types.ts';

/** The response shapes these tests read, as the OpenAPI document declares them (responses are checked against it). */
type Schemas = components['schemas'];

export type Organization = Schemas['Organization'];
export type Space = Schemas['Space'];
export type Domain = Schemas['Domain'];
export type Role = Schemas['Role'];
export type RoleType = Schemas['RoleType'];
export type User = Schemas['User'];
export type Job = Schemas['Job'];
export type Pagination = Schemas['Pagination'];

/** Any list response: a page of resources and, when asked for, `included` resources. */
export type ListOf<T> = {
  pagination: Pagination;
  resources: T[];
  included?: { organizations?: Organization[]; spaces?: Space[]; users?: User[] };
};

/** Headers that authenticate a request as one user. */
export type AuthHeaders = Record<string, string>;
