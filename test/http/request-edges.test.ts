import { expect } from 'chai';
import { serverForSuite } from '../support/test-server.ts';

const errorOf = (body: unknown) => (body as { errors: { code: number; title: string; detail: string }[] }).errors[0]!;

describe('unusual requests', () => {
  const suite = serverForSuite();

  it('answers 404 for a path parameter with broken percent-encoding, not 500', async () => {
    const response = await suite.server.request('/v3/organizations/%E0%A4%A', { headers: suite.admin });
    expect(response.status).to.equal(404);
    expect(errorOf(response.body).title).to.equal('CF-NotFound');
  });

  it('reads a query value with broken percent-encoding as text', async () => {
    expect((await suite.server.request('/v3/organization_quotas?names=%E0%A4%A', { headers: suite.admin })).status).to.equal(200);
  });

  it('refuses a JSON body over 1 MiB with a CF error', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(1024 * 1024) });
    const response = await suite.server.request('/v3/organizations', {
      method: 'POST',
      headers: { ...suite.admin, 'Content-Type': 'application/json' },
      body,
    });
    expect(response.status).to.equal(413);
    expect(errorOf(response.body)).to.deep.equal({
      code: 10004,
      title: 'CF-InvalidRequest',
      detail: 'The request body is larger than 1048576 bytes.',
    });
  });

  describe('YAML manifests (applySpaceManifest)', () => {
    const apply = (yaml: string) =>
      suite.server.request('/v3/spaces/space-guid/actions/apply_manifest', {
        method: 'POST',
        headers: { ...suite.admin, 'Content-Type': 'application/x-yaml' },
        body: yaml,
      });

    it('answers 400 CF-MessageParseError for YAML that does not parse', async () => {
      const response = await apply('applications:\n  - name: [unclosed\n');
      expect(response.status).to.equal(400);
      expect(errorOf(response.body).title).to.equal('CF-MessageParseError');
    });

    it('refuses YAML aliases, which could expand without bound', async () => {
      const response = await apply('anchors: &a [x, x]\napplications:\n  - name: app\n    env: *a\n');
      expect(response.status).to.equal(400);
    });

    it('validates the manifest against the document', async () => {
      const response = await apply('applications:\n  - name: my.app\n');
      expect(response.status).to.equal(422);
      expect(errorOf(response.body).detail).to.equal('applications[0].name must consist only of letters, numbers, underscores and dashes');
    });

    it('passes a valid manifest, as cf push generates it, on to the operation', async () => {
      const manifest = [
        'applications:',
        '- name: my-app',
        '  path: /home/me/my-app',
        '  default-route: true',
        '  memory: 256M',
        '  disk-quota: 1G',
        '  instances: 2',
        '  env: {GREETING: hello}',
        '  processes:',
        '  - type: worker',
        '    disk_quota: 512M',
        '',
      ].join('\n');
      // Past the document's checks: the operation answers that the space does not exist.
      expect((await apply(manifest)).status).to.equal(404);
    });
  });
});
