import { expect } from 'chai';
import { serverForSuite } from '../support/test-server.ts';

describe('lists of unsupported features', () => {
  const suite = serverForSuite({ config: { list: { defaultPageSize: 25 } } });

  for (const [operationId, path] of [
    ['listOrganizationQuotas', '/v3/organization_quotas'],
    ['listIsolationSegments', '/v3/isolation_segments'],
    ['listServiceRouteBindings', '/v3/service_route_bindings'],
  ] as const) {
    describe(operationId, () => {
      it('answers an empty first page with absolute links and the configured page size', async () => {
        const response = await suite.server.request(path, { headers: suite.admin });
        expect(response.status).to.equal(200);
        const link = { href: `https://api.example.test${path}?page=1&per_page=25` };
        expect(response.body).to.deep.equal({
          pagination: { total_results: 0, total_pages: 1, first: link, last: link, next: null, previous: null },
          resources: [],
        });
      });

      it('needs credentials', async () => {
        expect((await suite.server.request(path)).status).to.equal(401);
      });
    });
  }

  it('keeps the filters of the request in every link, in alphabetical order', async () => {
    const response = await suite.server.request('/v3/organization_quotas?per_page=5&organization_guids=b,a&names=x', {
      headers: suite.admin,
    });
    const pagination = (response.body as { pagination: { first: { href: string }; last: { href: string } } }).pagination;
    expect(pagination.first.href).to.equal(
      'https://api.example.test/v3/organization_quotas?names=x&organization_guids=b,a&page=1&per_page=5',
    );
    expect(pagination.last.href).to.equal(pagination.first.href);
  });

  it('links to the path without a trailing slash the request may have had', async () => {
    const response = await suite.server.request('/v3/isolation_segments/?per_page=2', { headers: suite.admin });
    const pagination = (response.body as { pagination: { first: { href: string } } }).pagination;
    expect(pagination.first.href).to.equal('https://api.example.test/v3/isolation_segments?page=1&per_page=2');
  });

  it('answers the page asked for past the end, linking back to the last page', async () => {
    const response = await suite.server.request('/v3/isolation_segments?page=3', { headers: suite.admin });
    const body = response.body as { resources: unknown[]; pagination: { previous: { href: string } | null } };
    expect(body.resources).to.deep.equal([]);
    expect(body.pagination.previous).to.deep.equal({ href: 'https://api.example.test/v3/isolation_segments?page=1&per_page=25' });
  });
});
