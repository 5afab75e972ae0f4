import { expect } from 'chai';
import { serverForSuite } from '../support/test-server.ts';

const unprocessable = (detail: string) => ({ errors: [{ code: 10008, title: 'CF-UnprocessableEntity', detail }] });

describe('error responses', () => {
  const suite = serverForSuite();

  describe('unknown routes and methods', () => {
    const unknownRequest = { errors: [{ code: 10000, title: 'CF-NotFound', detail: 'Unknown request' }] };

    it('answers 404 CF-NotFound for a path no operation serves, without asking for credentials', async () => {
      const response = await suite.server.request('/v3/nothing-here');
      expect(response.status).to.equal(404);
      expect(response.body).to.deep.equal(unknownRequest);
    });

    it('answers 404 CF-NotFound for a method the path does not serve', async () => {
      const response = await suite.server.request('/v3/info', { method: 'DELETE' });
      expect(response.status).to.equal(404);
      expect(response.body).to.deep.equal(unknownRequest);
    });
  });

  describe('query parameters', () => {
    it('answers 400 CF-BadQueryParameter for an unknown key, listing the valid keys in order', async () => {
      const response = await suite.server.request('/v3/organizations?names=a&colour=blue', { headers: suite.admin });
      expect(response.status).to.equal(400);
      expect(response.body).to.deep.equal({
        errors: [
          {
            code: 10005,
            title: 'CF-BadQueryParameter',
            detail:
              "The query parameter is invalid: Valid parameters are: 'names', 'guids', 'order_by', 'label_selector', 'page', 'per_page'",
          },
        ],
      });
    });

    it('answers 400 for any query key on an operation that takes none', async () => {
      const response = await suite.server.request('/v3/info?verbose=true');
      expect(response.status).to.equal(400);
      expect((response.body as { errors: { title: string }[] }).errors[0]!.title).to.equal('CF-BadQueryParameter');
    });

    for (const [query, detail] of [
      ['per_page=0', 'per_page must be greater than or equal to 1'],
      ['per_page=5001', 'per_page must be less than or equal to 5000'],
      ['page=0', 'page must be greater than or equal to 1'],
      ['page=two', 'page must be an integer'],
      ['page=1.5', 'page must be an integer'],
      ['order_by=colour', 'order_by value must be one of: created_at, -created_at, updated_at, -updated_at, name, -name'],
      ['page=0&per_page=0', 'page must be greater than or equal to 1, per_page must be greater than or equal to 1'],
    ] as const) {
      it(`answers 422 CF-UnprocessableEntity for ${query}`, async () => {
        const response = await suite.server.request(`/v3/organizations?${query}`, { headers: suite.admin });
        expect(response.status).to.equal(422);
        expect(response.body).to.deep.equal(unprocessable(detail));
      });
    }

    it('answers 422 for a label selector that does not parse, saying why', async () => {
      const response = await suite.server.request(`/v3/organizations?label_selector=${encodeURIComponent('env in (a,b')}`, {
        headers: suite.admin,
      });
      expect(response.status).to.equal(422);
      expect(response.body).to.deep.equal(unprocessable('Invalid label_selector value: unbalanced \'(\' in "env in (a,b"'));
    });
  });

  describe('request bodies', () => {
    const post = (body: string) =>
      suite.server.request('/v3/organizations', { method: 'POST', headers: { ...suite.admin, 'Content-Type': 'application/json' }, body });
    const parseError = {
      errors: [{ code: 1001, title: 'CF-MessageParseError', detail: 'Request invalid due to parse error: invalid request body' }],
    };

    it('answers 400 CF-MessageParseError for malformed JSON', async () => {
      const response = await post('{"name": ');
      expect(response.status).to.equal(400);
      expect(response.body).to.deep.equal(parseError);
    });

    it('answers 400 CF-MessageParseError for an empty body where one is required', async () => {
      const response = await post('');
      expect(response.status).to.equal(400);
      expect(response.body).to.deep.equal(parseError);
    });

    it('names a field of the wrong type', async () => {
      const response = await post('{"name": 42}');
      expect(response.status).to.equal(422);
      expect(response.body).to.deep.equal(unprocessable('name must be a string'));
    });

    it('names unknown and missing fields together', async () => {
      const response = await post('{"nmae": "typo"}');
      expect(response.status).to.equal(422);
      expect(response.body).to.deep.equal(unprocessable('invalid request body: json: unknown field "nmae", name cannot be blank'));
    });

    it('refuses label keys in the cloudfoundry.org domain', async () => {
      const response = await post('{"name": "o", "metadata": {"labels": {"korifi.cloudfoundry.org/x": "y"}}}');
      expect(response.status).to.equal(422);
      expect((response.body as { errors: { detail: string }[] }).errors[0]!.detail).to.contain(
        'metadata.labels key "korifi.cloudfoundry.org/x"',
      );
    });

    it('refuses suspending an organization rather than ignoring it', async () => {
      const response = await post('{"name": "o", "suspended": true}');
      expect(response.status).to.equal(422);
      expect(response.body).to.deep.equal(unprocessable('suspended value must be one of: false'));
    });

    it('refuses a body that is JSON but not an object', async () => {
      const response = await post('[]');
      expect(response.status).to.equal(422);
      expect(response.body).to.deep.equal(unprocessable('request body must be an object'));
    });
  });
});
