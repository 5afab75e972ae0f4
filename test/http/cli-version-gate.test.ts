import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('the cf CLI version gate with a configured minimum', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { info: { minCliVersion: '8.7.0' } } });
  });
  after(() => server.stop());

  const withAgent = (agent: string, path = '/v3/info') => server.request(path, { headers: { 'User-Agent': agent } });
  const invalidRequest = (detail: string) => ({ errors: [{ code: 10004, title: 'CF-InvalidRequest', detail }] });

  it('enforces the minimum that /v3/info shows', async () => {
    const info = (await withAgent('cf/8.18.4 (go1.26.8; amd64 linux)')).body as { cli_version: { minimum: string } };
    expect(info.cli_version.minimum).to.equal('8.7.0');
    const refused = await withAgent('cf/8.6.0 (go1.21.1; amd64 linux)');
    expect(refused.status).to.equal(400);
    expect(refused.body).to.deep.equal(invalidRequest('CF CLI version 8.6.0 is not supported. Korifi requires CF CLI >= 8.7.0-0'));
    expect((await withAgent('cf/8.7.10+5b7ce3c.2024-04-10')).status).to.equal(200);
  });

  it('refuses a version with junk around it instead of reading a number out of it', async () => {
    for (const agent of ['cf/junk9.9.9', 'cf/9.9.9junk (go1.26.8; amd64 linux)']) {
      const response = await withAgent(agent);
      expect(response.status, agent).to.equal(400);
      expect(response.body, agent).to.deep.equal(invalidRequest('Failed to determine CF CLI version. Korifi requires CF CLI >= 8.7.0-0'));
    }
  });
});
