import type { PageRequest } from './pagination.ts';

/** The page a list query asks for; `per_page` falls back to the configured default page size. */
export function pageRequest(query: { page?: number; per_page?: number }, defaultPageSize: number): PageRequest {
  return { page: query.page ?? 1, perPage: query.per_page ?? defaultPageSize };
}
