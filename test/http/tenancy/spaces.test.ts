import { expect } from 'chai';
import { eventually, uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from './backends.ts';
import { cfError, expectCfError } from './cf-errors.ts';
import type { ListOf, Organization, Space } from './resources.ts';
import { findStored, findStoredSpace, timestampPattern, uuidPattern } from './store-lookups.ts';

const spaceNotFound = cfError.notFound('Space');
const unknownGuid = '00000000-0000-4000-8000-000000000000';
const invalidOrganization = cfError.unprocessable('Invalid organization. Ensure the organization exists and you have access to it.');
const alreadyExists = (name: string) => cfError.unprocessable(`Space '${name}' already exists. Name must be unique per organization.`);
const spaceRequest = (name: string, orgGuid: string) => ({ name, relationships: { organization: { data: { guid: orgGuid } } } });

forEachBackend('spaces', (cf) => {
  let org: Organization;
  before(async () => {
    org = await cf.createOrg();
  });

  const list = async (query: string) => {
    const response = await cf.get(`/v3/spaces${query}`);
    expect(response.status, response.text).to.equal(200);
    return response.body as ListOf<Space>;
  };

  describe('POST /v3/spaces', () => {
    it('creates a space in the org, with its labels', async () => {
      const name = uniqueName('space');
      const response = await cf.post('/v3/spaces', { ...spaceRequest(name, org.guid), metadata: { labels: { team: 'a' } } });
      expect(response.status, response.text).to.equal(201);
      const space = response.body as Space;
      expect(space.guid).to.match(uuidPattern);
      expect(space.created_at).to.match(timestampPattern);
      const self = cf.url(`/v3/spaces/${space.guid}`);
      expect(space).to.deep.include({
        name,
        relationships: { organization: { data: { guid: org.guid } }, quota: { data: null } },
        metadata: { labels: { team: 'a' }, annotations: {} },
        links: {
          self: { href: self },
          organization: { href: cf.url(`/v3/organizations/${org.guid}`) },
          features: { href: `${self}/features` },
          apply_manifest: { href: `${self}/actions/apply_manifest`, method: 'POST' },
        },
      });
      const namespace = await findStored(cf.server, { kind: 'Namespace', name: space.guid });
      expect(namespace?.metadata.labels).to.deep.include({
        'korifi.cloudfoundry.org/space-guid': space.guid,
        'korifi.cloudfoundry.org/org-guid': org.guid,
      });
    });

    it('refuses an org that does not exist or that the caller cannot see', async () => {
      expectCfError(await cf.post('/v3/spaces', spaceRequest(uniqueName('space'), unknownGuid)), invalidOrganization);
      const user = await cf.newUser('outsider');
      expectCfError(await cf.post('/v3/spaces', spaceRequest(uniqueName('space'), org.guid), user.headers), invalidOrganization);
    });

    it('refuses a name taken in the org (in any letter case) but allows it in another org', async () => {
      const name = uniqueName('dup');
      await cf.createSpace(org.guid, name);
      expectCfError(await cf.post('/v3/spaces', spaceRequest(name, org.guid)), alreadyExists(name));
      expectCfError(await cf.post('/v3/spaces', spaceRequest(name.toUpperCase(), org.guid)), alreadyExists(name.toUpperCase()));
      const other = await cf.createOrg();
      expect((await cf.createSpace(other.guid, name)).name).to.equal(name);
    });

    it('lets exactly one of concurrent creates with the same name win', async () => {
      const name = uniqueName('race');
      const responses = await Promise.all(['', '', ''].map(() => cf.post('/v3/spaces', spaceRequest(name, org.guid))));
      expect(responses.map((response) => response.status).sort()).to.deep.equal([201, 422, 422]);
      for (const response of responses.filter((candidate) => candidate.status === 422)) expectCfError(response, alreadyExists(name));
      expect((await list(`?names=${name}&organization_guids=${org.guid}`)).resources).to.have.length(1);
    });

    it('lets an org manager create a space, which they then see, but not an org user', async () => {
      const manager = await cf.newUser('manager');
      await cf.grant(manager.name, 'organization_manager', { organization: org.guid });
      const space = await cf.createSpace(org.guid, uniqueName('managed'), manager.headers);
      expect((await cf.get(`/v3/spaces/${space.guid}`, manager.headers)).status).to.equal(200);
      const orgUser = await cf.newUser('orguser');
      await cf.grant(orgUser.name, 'organization_user', { organization: org.guid });
      const name = uniqueName('refused');
      expectCfError(await cf.post('/v3/spaces', spaceRequest(name, org.guid), orgUser.headers), cfError.notAuthorized());
      // A refused create must not keep the name claimed.
      expect((await cf.createSpace(org.guid, name)).name).to.equal(name);
    });

    it('answers 400 to a malformed body and 422 to a missing organization or an unknown field', async () => {
      expectCfError(await cf.send('POST', '/v3/spaces', { body: '[' }), cfError.messageParseError());
      expectCfError(await cf.post('/v3/spaces', { name: uniqueName('space') }), cfError.unprocessable('relationships cannot be blank'));
      const unknownField = await cf.post('/v3/spaces', { ...spaceRequest(uniqueName('space'), org.guid), size: 3 });
      expectCfError(unknownField, cfError.unprocessable('invalid request body: json: unknown field "size"'));
    });
  });

  describe('GET /v3/spaces/{guid}', () => {
    it('gets a space, with its organization when asked', async () => {
      const created = await cf.createSpace(org.guid);
      const plain = await cf.get(`/v3/spaces/${created.guid}`);
      expect(plain.status, plain.text).to.equal(200);
      expect(plain.body).to.deep.include({ guid: created.guid, name: created.name, links: created.links });
      expect(plain.body).not.to.have.property('included');
      const withOrg = await cf.get(`/v3/spaces/${created.guid}?include=organization`);
      expect(withOrg.status, withOrg.text).to.equal(200);
      const included = (withOrg.body as { included: { organizations: Organization[] } }).included;
      expect(included.organizations.map((o) => ({ guid: o.guid, name: o.name }))).to.deep.equal([{ guid: org.guid, name: org.name }]);
    });

    it('answers 404 for an unknown space and for one the caller cannot see', async () => {
      expectCfError(await cf.get(`/v3/spaces/${unknownGuid}`), spaceNotFound);
      const space = await cf.createSpace(org.guid);
      const user = await cf.newUser('outsider');
      expectCfError(await cf.get(`/v3/spaces/${space.guid}`, user.headers), spaceNotFound);
    });

    it('answers 422 to an include other than organization', async () => {
      const space = await cf.createSpace(org.guid);
      const response = await cf.get(`/v3/spaces/${space.guid}?include=space`);
      expectCfError(response, cfError.unprocessable('include[0] value must be one of: organization'));
    });
  });

  describe('GET /v3/spaces', () => {
    let listOrg: Organization;
    let otherOrg: Organization;
    let spaces: Space[];

    before(async () => {
      listOrg = await cf.createOrg();
      otherOrg = await cf.createOrg();
      spaces = [];
      for (const name of ['space-b', 'space-c', 'space-a']) spaces.push(await cf.createSpace(listOrg.guid, name));
      spaces.push(await cf.createSpace(otherOrg.guid, 'space-a'));
      const labelled = await cf.patch(`/v3/spaces/${spaces[1]!.guid}`, { metadata: { labels: { tier: 'gold' } } });
      expect(labelled.status, labelled.text).to.equal(200);
    });

    it('filters by organization_guids, in name order as cf spaces asks', async () => {
      const page = await list(`?order_by=name&organization_guids=${listOrg.guid}`);
      expect(page.resources.map((space) => space.name)).to.deep.equal(['space-a', 'space-b', 'space-c']);
      expect(page.pagination.total_results).to.equal(3);
      const descending = await list(`?order_by=-name&organization_guids=${listOrg.guid}`);
      expect(descending.resources.map((space) => space.name)).to.deep.equal(['space-c', 'space-b', 'space-a']);
    });

    it('finds a space by name in an org, as cf target asks', async () => {
      const page = await list(`?names=space-a&organization_guids=${otherOrg.guid}&page=1&per_page=1`);
      expect(page.resources.map((space) => space.guid)).to.deep.equal([spaces[3]!.guid]);
      const both = await list(`?names=space-a&organization_guids=${listOrg.guid},${otherOrg.guid}`);
      expect(both.resources.map((space) => space.guid)).to.have.members([spaces[2]!.guid, spaces[3]!.guid]);
    });

    it('filters by guids and label_selector', async () => {
      expect((await list(`?guids=${spaces[0]!.guid}`)).resources.map((space) => space.name)).to.deep.equal(['space-b']);
      const labelled = await list(`?organization_guids=${listOrg.guid}&label_selector=tier%3Dgold`);
      expect(labelled.resources.map((space) => space.guid)).to.deep.equal([spaces[1]!.guid]);
    });

    it('includes the organizations of the page, each once', async () => {
      const page = await list(`?organization_guids=${listOrg.guid},${otherOrg.guid}&include=organization`);
      expect(page.resources).to.have.length(4);
      expect(page.included?.organizations?.map((o) => o.guid)).to.have.members([listOrg.guid, otherOrg.guid]);
      expect(page.included?.organizations).to.have.length(2);
    });

    it('shows an org manager every space of the org, also ones made after the role', async () => {
      const managedOrg = await cf.createOrg();
      const before = await cf.createSpace(managedOrg.guid);
      const manager = await cf.newUser('manager');
      await cf.grant(manager.name, 'organization_manager', { organization: managedOrg.guid });
      const after = await cf.createSpace(managedOrg.guid);
      // The manager's role reaches the spaces' namespaces through the reconcilers, a moment later.
      const seen = await eventually(async () => {
        const response = await cf.get('/v3/spaces', manager.headers);
        const guids = (response.body as ListOf<Space>).resources.map((space) => space.guid);
        expect(guids).to.have.length(2);
        return guids;
      });
      expect(seen).to.have.members([before.guid, after.guid]);
    });

    it('shows a space developer only their space, and an org user none', async () => {
      const developer = await cf.newUser('dev');
      await cf.grant(developer.name, 'organization_user', { organization: listOrg.guid });
      await cf.grant(developer.name, 'space_developer', { space: spaces[0]!.guid });
      const seen = await cf.get('/v3/spaces', developer.headers);
      expect((seen.body as ListOf<Space>).resources.map((space) => space.guid)).to.deep.equal([spaces[0]!.guid]);
      const orgUser = await cf.newUser('orguser');
      await cf.grant(orgUser.name, 'organization_user', { organization: listOrg.guid });
      expect(((await cf.get('/v3/spaces', orgUser.headers)).body as ListOf<Space>).resources).to.deep.equal([]);
    });
  });

  describe('PATCH /v3/spaces/{guid}', () => {
    it('renames a space and changes its labels', async () => {
      const space = await cf.createSpace(org.guid);
      const newName = uniqueName('renamed');
      const response = await cf.patch(`/v3/spaces/${space.guid}`, { name: newName, metadata: { labels: { team: 'b' } } });
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.include({ guid: space.guid, name: newName, metadata: { labels: { team: 'b' }, annotations: {} } });
      const cleared = await cf.patch(`/v3/spaces/${space.guid}`, { metadata: { labels: { team: null } } });
      expect((cleared.body as Space).metadata.labels).to.deep.equal({});
      await cf.createSpace(org.guid, space.name);
    });

    it('refuses a rename to a name taken in the org', async () => {
      const taken = await cf.createSpace(org.guid);
      const space = await cf.createSpace(org.guid);
      expectCfError(await cf.patch(`/v3/spaces/${space.guid}`, { name: taken.name }), alreadyExists(taken.name));
    });

    it('answers 404 for an unknown space', async () => {
      expectCfError(await cf.patch(`/v3/spaces/${unknownGuid}`, { name: 'x' }), spaceNotFound);
    });
  });

  describe('DELETE /v3/spaces/{guid}', () => {
    it('deletes the space and its namespace', async () => {
      const space = await cf.createSpace(org.guid);
      const { job } = await cf.deleteAndWait(`/v3/spaces/${space.guid}`, 'space.delete', space.guid);
      expect(job).to.deep.equal({
        guid: `space.delete~${space.guid}`,
        operation: 'space.delete',
        state: 'COMPLETE',
        errors: [],
        warnings: [],
        links: { self: { href: cf.url(`/v3/jobs/space.delete~${space.guid}`) } },
      });
      expectCfError(await cf.get(`/v3/spaces/${space.guid}`), spaceNotFound);
      expect(await findStoredSpace(cf.server, space.guid)).to.equal(undefined);
      expect(await findStored(cf.server, { kind: 'Namespace', name: space.guid })).to.equal(undefined);
    });

    it('refuses a space developer deleting the space', async () => {
      const space = await cf.createSpace(org.guid);
      const developer = await cf.newUser('dev');
      await cf.grant(developer.name, 'organization_user', { organization: org.guid });
      await cf.grant(developer.name, 'space_developer', { space: space.guid });
      expectCfError(await cf.delete(`/v3/spaces/${space.guid}`, developer.headers), cfError.notAuthorized());
      expect((await cf.get(`/v3/spaces/${space.guid}`)).status).to.equal(200);
    });

    it('answers 404 for an unknown space', async () => {
      expectCfError(await cf.delete(`/v3/spaces/${unknownGuid}`), spaceNotFound);
    });
  });

  describe('space sub-resources', () => {
    let space: Space;
    before(async () => {
      space = await cf.createSpace(org.guid);
    });

    it('has ssh disabled', async () => {
      const response = await cf.get(`/v3/spaces/${space.guid}/features/ssh`);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.equal({ name: 'ssh', description: 'Enable SSHing into apps in the space.', enabled: false });
    });

    it('refuses other features', async () => {
      expectCfError(
        await cf.get(`/v3/spaces/${space.guid}/features/teleport`),
        cfError.unprocessable('feature "teleport" is not supported'),
      );
    });

    it('has no isolation segment', async () => {
      const response = await cf.get(`/v3/spaces/${space.guid}/relationships/isolation_segment`);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.equal({
        data: null,
        links: { self: { href: cf.url(`/v3/spaces/${space.guid}/relationships/isolation_segment`) } },
      });
    });

    for (const kind of ['running', 'staging']) {
      it(`has no ${kind} security groups`, async () => {
        const path = `/v3/spaces/${space.guid}/${kind}_security_groups`;
        const response = await cf.get(path);
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.deep.equal({
          pagination: {
            total_results: 0,
            total_pages: 1,
            first: { href: cf.url(`${path}?page=1&per_page=50`) },
            last: { href: cf.url(`${path}?page=1&per_page=50`) },
            next: null,
            previous: null,
          },
          resources: [],
        });
      });
    }

    it('answers 404 for the sub-resources of an unknown space', async () => {
      for (const sub of ['features/ssh', 'relationships/isolation_segment', 'running_security_groups', 'staging_security_groups']) {
        expectCfError(await cf.get(`/v3/spaces/${unknownGuid}/${sub}`), spaceNotFound);
      }
    });
  });
});
