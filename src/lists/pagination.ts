/** The page a list request asks for, with the server's default page size already applied. */
export type PageRequest = { page: number; perPage: number };

export type Link = { href: string };

export type PaginationInfo = {
  total_results: number;
  total_pages: number;
  first: Link;
  last: Link;
  next: Link | null;
  previous: Link | null;
};

export type Page<T> = { pagination: PaginationInfo; resources: T[] };

/**
 * Cuts one page out of a complete, ordered list and builds CF's pagination block. Unlike Korifi, the
 * page asked for is the page returned, also when `per_page` covers everything. Links are absolute and
 * keep every parameter of the request, re-encoded in alphabetical order with `page` and `per_page` set.
 */
export function paginate<T>(items: readonly T[], request: PageRequest, listUrl: URL): Page<T> {
  const totalPages = Math.max(1, Math.ceil(items.length / request.perPage));
  const start = (request.page - 1) * request.perPage;
  const link = (page: number): Link => ({ href: pageUrl(listUrl, page, request.perPage) });
  return {
    pagination: {
      total_results: items.length,
      total_pages: totalPages,
      first: link(1),
      last: link(totalPages),
      next: request.page < totalPages ? link(request.page + 1) : null,
      previous: request.page > 1 ? link(Math.min(request.page - 1, totalPages)) : null,
    },
    resources: items.slice(start, start + request.perPage),
  };
}

function pageUrl(listUrl: URL, page: number, perPage: number): string {
  const params = new URLSearchParams(listUrl.search);
  params.set('page', String(page));
  params.set('per_page', String(perPage));
  params.sort();
  return `${listUrl.origin}${listUrl.pathname}?${params.toString().replaceAll('%2C', ',')}`;
}
