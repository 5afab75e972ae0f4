import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { sharedControlPlane } from '../../support/control-plane.ts';
import { authHeaders } from '../../support/test-server.ts';
import { forEachBackend } from './backends.ts';
import type { CfClient, CfUser } from './cf-client.ts';
import type { Organization } from './resources.ts';

const noRolesWarning = (userName: string) =>
  `Warning: subject 'User/${userName}' has no CF roles assigned. This is not supported and may cause unexpected behaviour.`;

/** Korifi's warning for a client certificate valid for longer than `warningDuration` (Go's duration format). */
function certificateWarning(user: CfUser, warningDuration: string): string {
  const notAfter = new X509Certificate(user.credentials.certificatePem).validToDate;
  return (
    `Warning: The client certificate you provided for user authentication expires at ${notAfter.toISOString().slice(0, 19)}Z, ` +
    `which exceeds the recommended validity duration of ${warningDuration}. Ask your platform provider to issue you a short-lived ` +
    'certificate credential or to configure your authentication to generate short-lived credentials automatically.'
  );
}

/** The warnings of a response, decoded as the cf CLI decodes them (comma-separated, each URL-encoded); [] without the header. */
function warningsOf(headers: Headers): string[] {
  const header = headers.get('x-cf-warnings');
  return header === null ? [] : header.split(',').map((warning) => decodeURIComponent(warning));
}

/** A user who authenticates with a bearer token: embedded users have one; on Kubernetes a static-token user of the control plane. */
async function bearerUser(cf: CfClient): Promise<CfUser> {
  if (cf.server.backend === 'embedded') {
    const user = await cf.newUser('bearer');
    return { ...user, headers: authHeaders.bearer(user.credentials) };
  }
  const tokenUser = (await sharedControlPlane()).tokenUsers.find((user) => user.name === 'token-bob');
  if (!tokenUser) throw new Error('the control plane has no token-bob');
  const credentials = { name: tokenUser.name, token: tokenUser.token, certificatePem: '', privateKeyPem: '' };
  return { name: tokenUser.name, credentials, headers: authHeaders.bearer(credentials) };
}

forEachBackend('warnings', (cf) => {
  let org: Organization;
  before(async () => {
    org = await cf.createOrg();
  });

  describe('a user without CF roles', () => {
    it('is warned on authenticated requests until given a role', async () => {
      const user = await cf.newUser('roleless');
      const before = await cf.get('/v3/domains', user.headers);
      expect(before.status, before.text).to.equal(200);
      expect(before.headers.get('x-cf-warnings')).to.equal(encodeURIComponent(noRolesWarning(user.name)));
      expect(warningsOf((await cf.get('/v3/spaces', user.headers)).headers)).to.deep.equal([noRolesWarning(user.name)]);
      await cf.grant(user.name, 'organization_user', { organization: org.guid });
      const after = await cf.get('/v3/domains', user.headers);
      expect(after.status, after.text).to.equal(200);
      expect(after.headers.get('x-cf-warnings')).to.equal(null);
    });

    it('is warned on errors too', async () => {
      const user = await cf.newUser('roleless');
      const response = await cf.get('/v3/spaces/00000000-0000-4000-8000-000000000000', user.headers);
      expect(response.status).to.equal(404);
      expect(warningsOf(response.headers)).to.deep.equal([noRolesWarning(user.name)]);
    });

    it('is not warned on unauthenticated routes', async () => {
      const user = await cf.newUser('roleless');
      const response = await cf.get('/v3/info', user.headers);
      expect(response.status, response.text).to.equal(200);
      expect(response.headers.get('x-cf-warnings')).to.equal(null);
    });

    it('does not concern the admin', async () => {
      expect((await cf.get('/v3/domains')).headers.get('x-cf-warnings')).to.equal(null);
    });
  });

  describe('long-lived client certificates', () => {
    /** Korifi's 168 h on a cluster; none on embedded, where the user's own server issued the certificate. */
    const defaultCertificateWarnings = (user: CfUser) => (cf.server.backend === 'kubernetes' ? [certificateWarning(user, '168h0m0s')] : []);

    it('are pointed out on the org list of a cluster, not of the embedded backend', async () => {
      const user = await cf.newUser('certuser');
      await cf.grant(user.name, 'organization_user', { organization: org.guid });
      const headers = authHeaders.clientCert(user.credentials);
      const response = await cf.get('/v3/organizations', headers);
      expect(response.status, response.text).to.equal(200);
      expect(warningsOf(response.headers)).to.deep.equal(defaultCertificateWarnings(user));
      // Only on the org list, which the cf CLI reads at login.
      expect((await cf.get('/v3/spaces', headers)).headers.get('x-cf-warnings')).to.equal(null);
    });

    it('come after the no-roles warning for a user without roles', async () => {
      const user = await cf.newUser('certuser');
      const response = await cf.get('/v3/organizations', authHeaders.clientCert(user.credentials));
      expect(warningsOf(response.headers)).to.deep.equal([noRolesWarning(user.name), ...defaultCertificateWarnings(user)]);
    });

    it('are not a concern of bearer-token users', async () => {
      const user = await bearerUser(cf);
      await cf.grant(user.name, 'organization_user', { organization: org.guid });
      const response = await cf.get('/v3/organizations', user.headers);
      expect(response.status, response.text).to.equal(200);
      expect(response.headers.get('x-cf-warnings')).to.equal(null);
    });
  });
});

/** Gives a new certificate user an org role and reads the org list as them. */
async function orgListAsCertificateUser(cf: CfClient): Promise<{ user: CfUser; warnings: string[] }> {
  const user = await cf.newUser('certuser');
  const org = await cf.createOrg();
  await cf.grant(user.name, 'organization_user', { organization: org.guid });
  const response = await cf.get('/v3/organizations', authHeaders.clientCert(user.credentials));
  expect(response.status, response.text).to.equal(200);
  return { user, warnings: warningsOf(response.headers) };
}

forEachBackend(
  'warnings with a certificate threshold beyond the certificates',
  (cf) => {
    it('does not point out a certificate valid for less than certificateWarningHours', async () => {
      expect((await orgListAsCertificateUser(cf)).warnings).to.deep.equal([]);
    });
  },
  // Certificates of both backends are valid for a year; 10000 hours is more.
  { config: { certificateWarningHours: 10_000 } },
);

forEachBackend(
  'warnings with a fractional certificate threshold',
  (cf) => {
    it('words the threshold as Go prints a duration', async () => {
      const { user, warnings } = await orgListAsCertificateUser(cf);
      expect(warnings).to.deep.equal([certificateWarning(user, '1h30m0s')]);
    });
  },
  { config: { certificateWarningHours: 1.5 } },
);
