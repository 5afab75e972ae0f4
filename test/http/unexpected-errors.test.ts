import { expect } from 'chai';
import type { Authenticator } from '../../src/auth/identity.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('unexpected failures', () => {
  let server: TestServer;
  const failingAuthenticator: Authenticator = {
    authenticate: () => Promise.reject(new Error('database on fire at /var/secret/path')),
  };
  before(async () => {
    server = await startTestServer({ authenticator: failingAuthenticator });
  });
  after(() => server.stop());

  it('answers 500 UnknownError without internals and logs the cause with the correlation id', async () => {
    const response = await server.request('/whoami', { headers: { Authorization: 'Bearer anything', 'X-Correlation-ID': 'trace-500' } });
    expect(response.status).to.equal(500);
    expect(response.body).to.deep.equal({ errors: [{ code: 10001, title: 'UnknownError', detail: 'An unknown error occurred.' }] });
    expect(response.text).not.to.contain('fire');
    expect(response.headers.get('x-correlation-id')).to.equal('trace-500');
    const logged = server.logs.find((line) => line['level'] === 50);
    expect(logged, 'an error log line').to.not.equal(undefined);
    expect(logged!['correlationId']).to.equal('trace-500');
    expect(JSON.stringify(logged!['err'])).to.contain('database on fire');
  });
});
