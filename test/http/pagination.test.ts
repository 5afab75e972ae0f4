import { expect } from 'chai';
import { authHeaders, startTestServer, type TestServer } from '../support/test-server.ts';

type Page = { pagination: Record<string, { href: string } | number | null>; resources: { name: string }[] };

/** Labels of org-1 … org-7: env alternates, org-2 is not a web tier, org-7 is legacy. */
function labelsOf(index: number): Record<string, string> {
  return {
    env: index % 2 === 1 ? 'prod' : 'dev',
    ...(index === 2 ? {} : { tier: 'web' }),
    ...(index === 7 ? { legacy: 'true' } : {}),
  };
}

/**
 * Pagination over HTTP on the real organization list: seven orgs created through the API on a
 * server whose default page size is 5, read back through the router, query validation, the org
 * service's filters, ordering, pagination and the contract check.
 */
describe('pagination over HTTP', () => {
  let server: TestServer;
  const names = Array.from({ length: 7 }, (_, index) => `org-${index + 1}`);
  before(async () => {
    server = await startTestServer({ config: { list: { defaultPageSize: 5 } } });
    for (const [index, name] of names.entries()) {
      const response = await server.request('/v3/organizations', {
        method: 'POST',
        headers: { ...authHeaders.bearer(server.admin), 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, metadata: { labels: labelsOf(index + 1) } }),
      });
      expect(response.status, response.text).to.equal(201);
    }
  });
  after(() => server.stop());

  const list = async (query: string) => {
    const response = await server.request(`/v3/organizations${query}`, { headers: authHeaders.bearer(server.admin) });
    expect(response.status, response.text).to.equal(200);
    return response.body as Page;
  };
  const namesOf = (page: Page) => page.resources.map((org) => org.name);
  const base = 'https://api.example.test/v3/organizations';

  it('uses the configured default page size and links to the next page', async () => {
    const page = await list('');
    expect(page.resources).to.have.length(5);
    expect(names).to.include.members(namesOf(page));
    expect(page.pagination).to.deep.equal({
      total_results: 7,
      total_pages: 2,
      first: { href: `${base}?page=1&per_page=5` },
      last: { href: `${base}?page=2&per_page=5` },
      next: { href: `${base}?page=2&per_page=5` },
      previous: null,
    });
    const rest = await list('?page=2');
    expect([...namesOf(page), ...namesOf(rest)].sort()).to.deep.equal(names);
  });

  it('serves a middle page of a filtered list with both neighbours, keeping the filters', async () => {
    const filter = 'names=org-1,org-2,org-3,org-5,org-6,org-7,no-such-org';
    const page = await list(`?per_page=2&page=2&order_by=name&${filter}`);
    expect(namesOf(page)).to.deep.equal(['org-3', 'org-5']);
    expect(page.pagination).to.deep.equal({
      total_results: 6,
      total_pages: 3,
      first: { href: `${base}?${filter}&order_by=name&page=1&per_page=2` },
      last: { href: `${base}?${filter}&order_by=name&page=3&per_page=2` },
      next: { href: `${base}?${filter}&order_by=name&page=3&per_page=2` },
      previous: { href: `${base}?${filter}&order_by=name&page=1&per_page=2` },
    });
  });

  it('follows next links to the end, as the cf CLI does, seeing every org once and in order', async () => {
    const seen: string[] = [];
    let next: string | undefined = '?per_page=2&order_by=-name';
    while (next !== undefined) {
      const page = await list(next);
      seen.push(...namesOf(page));
      const link = page.pagination['next'] as { href: string } | null;
      next = link ? link.href.slice(base.length) : undefined;
    }
    expect(seen).to.deep.equal([...names].reverse());
  });

  it('returns the page asked for even when one page holds everything', async () => {
    const page = await list('?per_page=50&page=2');
    expect(page.resources).to.deep.equal([]);
    expect(page.pagination['total_results']).to.equal(7);
    expect(page.pagination['total_pages']).to.equal(1);
    expect(page.pagination['previous']).to.deep.equal({ href: `${base}?page=1&per_page=50` });
    expect(page.pagination['next']).to.equal(null);
  });

  it('pages a label-selected list and keeps the selector in its links', async () => {
    const selector = encodeURIComponent('env in (prod,dev),!legacy,tier=web');
    const first = await list(`?label_selector=${selector}&order_by=name&per_page=3`);
    expect(namesOf(first)).to.deep.equal(['org-1', 'org-3', 'org-4']);
    expect(first.pagination['total_results']).to.equal(5);
    const next = (first.pagination['next'] as { href: string }).href;
    expect(new URL(next).searchParams.get('label_selector')).to.equal('env in (prod,dev),!legacy,tier=web');
    expect(namesOf(await list(next.slice(base.length)))).to.deep.equal(['org-5', 'org-6']);
  });
});
