import { expect } from 'chai';
import { handlers } from '../../src/handlers/index.ts';
import { notImplementedHandlers } from '../../src/handlers/not-implemented.ts';
import { authHeaders, startTestServer, type TestServer } from '../support/test-server.ts';

describe('cross-cutting request handling', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('echoes the B3 trace ids a client sends, as Cloud Controller does, and not malformed ones', async () => {
    const traced = await server.request('/v3/info', {
      headers: { 'X-B3-Traceid': '02405162f27a429ca144f66e4107d1e3', 'X-B3-Spanid': '985bab0e55c61c28' },
    });
    expect(traced.headers.get('x-b3-traceid')).to.equal('02405162f27a429ca144f66e4107d1e3');
    expect(traced.headers.get('x-b3-spanid')).to.equal('985bab0e55c61c28');
    const failed = await server.request('/v3/nothing-here', { headers: { 'X-B3-Spanid': '985bab0e55c61c28' } });
    expect(failed.status).to.equal(404);
    expect(failed.headers.get('x-b3-spanid')).to.equal('985bab0e55c61c28');
    const malformed = await server.request('/v3/info', {
      headers: { 'X-B3-Traceid': 'not-hex', 'X-B3-Spanid': '985bab0e55c61c28ff' },
    });
    expect(malformed.headers.get('x-b3-traceid')).to.equal(null);
    expect(malformed.headers.get('x-b3-spanid')).to.equal(null);
  });

  describe('the cf CLI version gate', () => {
    const withAgent = (agent: string, path = '/v3/info') => server.request(path, { headers: { 'User-Agent': agent } });
    const invalidRequest = (detail: string) => ({ errors: [{ code: 10004, title: 'CF-InvalidRequest', detail }] });

    it("refuses a cf CLI older than 8.5.0 with Korifi's text", async () => {
      const response = await withAgent('cf/8.4.0 (go1.21.1; amd64 linux)');
      expect(response.status).to.equal(400);
      expect(response.body).to.deep.equal(invalidRequest('CF CLI version 8.4.0 is not supported. Korifi requires CF CLI >= 8.5.0-0'));
    });

    it('refuses an unversioned cf CLI build', async () => {
      const response = await withAgent('cf/0.0.0-unknown-version (go1.26.8; amd64 linux)');
      expect(response.status).to.equal(400);
    });

    it('refuses a cf User-Agent whose version cannot be read', async () => {
      const response = await withAgent('cf/banana');
      expect(response.status).to.equal(400);
      expect(response.body).to.deep.equal(invalidRequest('Failed to determine CF CLI version. Korifi requires CF CLI >= 8.5.0-0'));
    });

    it('lets supported versions, pre-releases and build metadata through', async () => {
      for (const agent of [
        'cf/8.18.4 (go1.26.8; amd64 linux)',
        'cf/8.5.0',
        'cf/9.0.0-beta+334489f01.2024-05-14',
        'cf/8.18.4+3fcd823.2026-06-29',
      ]) {
        expect((await withAgent(agent)).status, agent).to.equal(200);
      }
    });

    it('does not check other clients', async () => {
      expect((await withAgent('curl/8.5.0')).status).to.equal(200);
      expect((await withAgent('cli/0.0.1')).status).to.equal(200);
    });

    it('applies to unknown routes too', async () => {
      expect((await withAgent('cf/7.0.0', '/nowhere')).status).to.equal(400);
    });
  });

  describe('X-Correlation-ID', () => {
    it('echoes the id the client sent', async () => {
      const response = await server.request('/v3/info', { headers: { 'X-Correlation-ID': 'abc-123' } });
      expect(response.headers.get('x-correlation-id')).to.equal('abc-123');
    });

    it('creates one when the client sent none, also on errors', async () => {
      const response = await server.request('/nowhere');
      expect(response.headers.get('x-correlation-id')).to.match(/^[0-9a-f-]{36}$/);
    });

    it('replaces an id that is not a plain token', async () => {
      const response = await server.request('/v3/info', { headers: { 'X-Correlation-ID': 'a b<script>' } });
      expect(response.headers.get('x-correlation-id')).to.match(/^[0-9a-f-]{36}$/);
    });

    it('logs one line per request with the id, operation and status', async () => {
      await server.request('/v3/info', { headers: { 'X-Correlation-ID': 'log-me' } });
      // The line is written just after the response is sent.
      await new Promise((resolve) => setImmediate(resolve));
      const line = server.logs.find((entry) => entry['correlationId'] === 'log-me' && entry['msg'] === 'request');
      expect(line).to.include({ method: 'GET', path: '/v3/info', status: 200, operationId: 'getInfo' });
    });
  });

  describe('operations not built yet', () => {
    // Every declared operation is built today: the 501 path is shown on a server whose app manifest is listed as not built.
    let unbuilt: TestServer;
    before(async () => {
      unbuilt = await startTestServer({ handlers: { ...handlers, ...notImplementedHandlers(['getAppManifest']) } });
    });
    after(() => unbuilt.stop());

    it('answer 501 in the CF error shape, naming the operation', async () => {
      const response = await unbuilt.request('/v3/apps/some-app/manifest', { headers: authHeaders.bearer(unbuilt.admin) });
      expect(response.status).to.equal(501);
      expect(response.body).to.deep.equal({
        errors: [{ code: 10050, title: 'CF-NotImplemented', detail: "The operation 'getAppManifest' is not implemented yet." }],
      });
    });

    it('are logged as a warning, not as an unexpected error', async () => {
      await unbuilt.request('/v3/apps/some-app/manifest', {
        headers: { ...authHeaders.bearer(unbuilt.admin), 'X-Correlation-ID': 'not-built' },
      });
      const lines = unbuilt.logs.filter((entry) => entry['correlationId'] === 'not-built' && entry['msg'] !== 'request');
      expect(lines.map((entry) => entry['level'])).to.deep.equal([40]);
      expect(lines[0]).to.include({ operationId: 'getAppManifest', code: 10050 });
    });

    it('still authenticate first', async () => {
      const response = await unbuilt.request('/v3/apps/some-app/manifest');
      expect(response.status).to.equal(401);
    });
  });
});
