import { expect } from 'chai';
import { handlers } from '../../src/handlers/index.ts';
import type { OperationHandler } from '../../src/http/operation.ts';
import { pageRequest } from '../../src/lists/page-request.ts';
import { paginate } from '../../src/lists/pagination.ts';
import { authHeaders, startTestServer, type TestServer } from '../support/test-server.ts';

type Page = { pagination: Record<string, { href: string } | number | null>; resources: { name: string }[] };

/**
 * Pagination over HTTP: the organization list is served here by a test handler over seven fixed
 * organizations, through the real router, query validation, pagination and contract check, until the
 * real list lands with the organizations issue.
 */
describe('pagination over HTTP', () => {
  let server: TestServer;
  const organizations = Array.from({ length: 7 }, (_, index) => `org-${index + 1}`);
  const listOrganizations: OperationHandler<'listOrganizations'> = async ({ query }, scope) => {
    const page = paginate(organizations, pageRequest(query, scope.runtime.config.list.defaultPageSize), scope.requestUrl);
    const resources = page.resources.map((name) => ({
      guid: name,
      created_at: '2026-11-26T00:00:00Z',
      updated_at: '2026-11-26T00:00:00Z',
      name,
      suspended: false,
      relationships: { quota: { data: null } },
      metadata: { labels: {}, annotations: {} },
      links: {
        self: { href: `${scope.runtime.config.externalUrl}/v3/organizations/${name}` },
        domains: { href: `${scope.runtime.config.externalUrl}/v3/organizations/${name}/domains` },
        default_domain: { href: `${scope.runtime.config.externalUrl}/v3/organizations/${name}/domains/default` },
      },
    }));
    return { status: 200, body: { pagination: page.pagination, resources } };
  };
  before(async () => {
    server = await startTestServer({ handlers: { ...handlers, listOrganizations }, config: { list: { defaultPageSize: 5 } } });
  });
  after(() => server.stop());

  const list = async (query: string) => {
    const response = await server.request(`/v3/organizations${query}`, { headers: authHeaders.bearer(server.admin) });
    expect(response.status).to.equal(200);
    return response.body as Page;
  };
  const base = 'https://api.example.test/v3/organizations';

  it('uses the configured default page size and links to the next page', async () => {
    const page = await list('');
    expect(page.resources.map((org) => org.name)).to.deep.equal(['org-1', 'org-2', 'org-3', 'org-4', 'org-5']);
    expect(page.pagination).to.deep.equal({
      total_results: 7,
      total_pages: 2,
      first: { href: `${base}?page=1&per_page=5` },
      last: { href: `${base}?page=2&per_page=5` },
      next: { href: `${base}?page=2&per_page=5` },
      previous: null,
    });
  });

  it('serves a middle page with both neighbours, keeping the filters', async () => {
    const page = await list('?per_page=3&page=2&order_by=name&names=x,y');
    expect(page.resources.map((org) => org.name)).to.deep.equal(['org-4', 'org-5', 'org-6']);
    expect(page.pagination['previous']).to.deep.equal({ href: `${base}?names=x,y&order_by=name&page=1&per_page=3` });
    expect(page.pagination['next']).to.deep.equal({ href: `${base}?names=x,y&order_by=name&page=3&per_page=3` });
    expect(page.pagination['total_pages']).to.equal(3);
  });

  it('follows next links to the end, as the cf CLI does, seeing every resource once', async () => {
    const seen: string[] = [];
    let next: string | undefined = '?per_page=2';
    while (next !== undefined) {
      const page = await list(next);
      seen.push(...page.resources.map((org) => org.name));
      const link = page.pagination['next'] as { href: string } | null;
      next = link ? link.href.slice(base.length) : undefined;
    }
    expect(seen).to.deep.equal(organizations);
  });

  it('returns the page asked for even when one page holds everything', async () => {
    const page = await list('?per_page=50&page=2');
    expect(page.resources).to.deep.equal([]);
    expect(page.pagination['total_pages']).to.equal(1);
  });

  it('accepts a valid label selector', async () => {
    expect((await list(`?label_selector=${encodeURIComponent('env in (prod,dev),!legacy,tier=web')}`)).resources).to.have.length(5);
  });
});
