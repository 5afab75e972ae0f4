import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('unauthenticated documents', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      config: {
        info: { name: 'test-platform', description: 'A test', supportAddress: 'https://support.example.test', custom: { team: 'cf' } },
      },
    });
  });
  after(() => server.stop());

  describe('getRoot', () => {
    it('tells the cf CLI it talks to CF on Kubernetes, with absolute links on the external URL', async () => {
      const response = await server.request('/');
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal({
        links: {
          self: { href: 'https://api.example.test', meta: { version: '' } },
          bits_service: null,
          cloud_controller_v2: null,
          cloud_controller_v3: { href: 'https://api.example.test/v3', meta: { version: '3.117.0+cf-k8s' } },
          network_policy_v0: null,
          network_policy_v1: null,
          login: { href: 'https://api.example.test', meta: { version: '' } },
          uaa: null,
          credhub: null,
          routing: null,
          logging: null,
          log_cache: { href: 'https://api.example.test', meta: { version: '' } },
          log_stream: null,
          app_ssh: null,
        },
        cf_on_k8s: true,
      });
    });

    it('needs no Authorization header', async () => {
      const response = await server.request('/', { headers: { Authorization: 'Bearer not-a-token' } });
      expect(response.status).to.equal(200);
    });
  });

  describe('getV3Root', () => {
    it('links to itself and the collections', async () => {
      const response = await server.request('/v3');
      expect(response.status).to.equal(200);
      const links = (response.body as { links: Record<string, { href: string }> }).links;
      expect(links['self']).to.deep.equal({ href: 'https://api.example.test/v3' });
      expect(links['organizations']).to.deep.equal({ href: 'https://api.example.test/v3/organizations' });
      expect(links['apps']).to.deep.equal({ href: 'https://api.example.test/v3/apps' });
    });

    it('ignores a trailing slash', async () => {
      const response = await server.request('/v3/');
      expect(response.status).to.equal(200);
    });
  });

  describe('getInfo', () => {
    it('presents the configured platform information', async () => {
      const response = await server.request('/v3/info');
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal({
        build: '0.1.0',
        cli_version: { minimum: '8.5.0', recommended: '8.18.4' },
        description: 'A test',
        name: 'test-platform',
        version: '0.1.0',
        custom: { team: 'cf' },
        links: { self: { href: 'https://api.example.test/v3/info' }, support: { href: 'https://support.example.test' } },
      });
    });
  });

  describe('getLogCacheInfo', () => {
    it('reports a log-cache version of 2.x and the uptime in seconds', async () => {
      const response = await server.request('/api/v1/info');
      expect(response.status).to.equal(200);
      const body = response.body as { version: string; vm_uptime: string };
      expect(body.version).to.equal('2.11.4+cf-k8s');
      expect(body.vm_uptime).to.match(/^\d+$/);
    });
  });
});
