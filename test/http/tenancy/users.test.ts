import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from './backends.ts';
import type { ListOf, Organization, User } from './resources.ts';
import { timestampPattern } from './store-lookups.ts';

forEachBackend('users', (cf) => {
  let org: Organization;
  before(async () => {
    org = await cf.createOrg();
  });

  const listUsers = async (query: string, as?: Record<string, string>) => {
    const response = await cf.get(`/v3/users${query}`, as);
    expect(response.status, response.text).to.equal(200);
    return response.body as ListOf<User>;
  };
  const presented = (name: string) => ({
    guid: name,
    username: name,
    presentation_name: name,
    origin: null,
    metadata: { labels: {}, annotations: {} },
    links: { self: { href: cf.url(`/v3/users/${encodeURIComponent(name)}`) } },
  });

  describe('GET /v3/users', () => {
    it('echoes a username asked for, even of a user without roles', async () => {
      const name = uniqueName('norole');
      const page = await listUsers(`?usernames=${name}`);
      expect(page.resources).to.deep.equal([presented(name)]);
      expect(page.pagination.total_results).to.equal(1);
    });

    it('lists the users holding roles the caller can see', async () => {
      const holder = uniqueName('holder');
      await cf.grant(holder, 'organization_user', { organization: org.guid });
      const page = await listUsers('?per_page=5000');
      const user = page.resources.find((candidate) => candidate.guid === holder);
      expect(user).to.deep.include(presented(holder));
      expect(user?.created_at).to.match(timestampPattern);
      expect(user?.updated_at).to.match(timestampPattern);
    });

    it('does not show a user without roles the holders of roles elsewhere', async () => {
      const holder = uniqueName('holder');
      await cf.grant(holder, 'organization_user', { organization: org.guid });
      const outsider = await cf.newUser('outsider');
      expect((await listUsers('?per_page=5000', outsider.headers)).resources.map((user) => user.guid)).not.to.include(holder);
    });

    it('filters by partial_usernames', async () => {
      const marker = randomUUID().slice(0, 8);
      const names = [`pa-${marker}-one`, `pa-${marker}-two`];
      for (const name of names) await cf.grant(name, 'organization_user', { organization: org.guid });
      const page = await listUsers(`?partial_usernames=${marker}`);
      expect(page.resources.map((user) => user.guid)).to.deep.equal(names);
    });

    it('treats every user as of the uaa origin', async () => {
      const name = uniqueName('origin');
      expect((await listUsers(`?origins=uaa&usernames=${name}`)).resources.map((user) => user.guid)).to.deep.equal([name]);
      expect((await listUsers(`?origins=ldap&usernames=${name}`)).resources).to.deep.equal([]);
    });

    it('shows an org user the users with roles in their org', async () => {
      const member = await cf.newUser('member');
      await cf.grant(member.name, 'organization_user', { organization: org.guid });
      const colleague = uniqueName('colleague');
      await cf.grant(colleague, 'organization_auditor', { organization: org.guid });
      const guids = (await listUsers('?per_page=5000', member.headers)).resources.map((user) => user.guid);
      expect(guids).to.include.members([member.name, colleague]);
    });

    it('matches label selectors as users without labels', async () => {
      const name = uniqueName('unlabelled');
      expect((await listUsers(`?label_selector=team%3Da&usernames=${name}`)).resources).to.deep.equal([]);
      expect((await listUsers(`?label_selector=!team&usernames=${name}`)).resources.map((user) => user.guid)).to.deep.equal([name]);
    });

    it('presents a service account with a percent-encoded self link', async () => {
      const name = `system:serviceaccount:${uniqueName('ns')}:deployer`;
      const page = await listUsers(`?usernames=${name}`);
      expect(page.resources).to.deep.equal([presented(name)]);
      expect(page.resources[0]?.links.self.href).to.equal(cf.url(`/v3/users/system%3Aserviceaccount%3A${name.split(':')[2]}%3Adeployer`));
    });
  });

  describe('GET /v3/users/{guid}', () => {
    it('gets a user holding a role', async () => {
      const name = uniqueName('holder');
      await cf.grant(name, 'organization_auditor', { organization: org.guid });
      const response = await cf.get(`/v3/users/${name}`);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.include(presented(name));
    });

    it('gets a service account holding a role by its encoded name', async () => {
      const name = `system:serviceaccount:${uniqueName('ns')}:robot`;
      const role = await cf.grant(name, 'organization_user', { organization: org.guid });
      expect(role.relationships.user.data.guid).to.equal(name);
      expect(role.links.user?.href).to.equal(cf.url(`/v3/users/${encodeURIComponent(name)}`));
      const response = await cf.get(`/v3/users/${encodeURIComponent(name)}`);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.include(presented(name));
    });
  });
});
