import { expect } from 'chai';
import { eventually, uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from './backends.ts';
import { cfError, expectCfError } from './cf-errors.ts';
import type { Organization, ListOf } from './resources.ts';
import { findStored, timestampPattern, uuidPattern } from './store-lookups.ts';

const orgNotFound = cfError.notFound('Organization');
const alreadyExists = (name: string) => cfError.unprocessable(`Organization '${name}' already exists.`);

forEachBackend('organizations', (cf) => {
  const list = async (query: string) => {
    const response = await cf.get(`/v3/organizations${query}`);
    expect(response.status, response.text).to.equal(200);
    return response.body as ListOf<Organization>;
  };

  describe('POST /v3/organizations', () => {
    it('creates an org as the cf CLI asks (suspended: false), keeping its labels and annotations', async () => {
      const name = uniqueName('org');
      const response = await cf.post('/v3/organizations', {
        name,
        suspended: false,
        metadata: { labels: { env: 'test' }, annotations: { 'example.com/owner': 'team a' } },
      });
      expect(response.status, response.text).to.equal(201);
      const org = response.body as Organization;
      expect(org.guid).to.match(uuidPattern);
      expect(org.created_at).to.match(timestampPattern);
      expect(org.updated_at).to.match(timestampPattern);
      const self = cf.url(`/v3/organizations/${org.guid}`);
      expect(org).to.deep.include({
        name,
        suspended: false,
        relationships: { quota: { data: null } },
        metadata: { labels: { env: 'test' }, annotations: { 'example.com/owner': 'team a' } },
        links: { self: { href: self }, domains: { href: `${self}/domains` }, default_domain: { href: `${self}/domains/default` } },
      });
    });

    it('gives the org a namespace labelled with its GUID', async () => {
      const org = await cf.createOrg();
      const namespace = await findStored(cf.server, { kind: 'Namespace', name: org.guid });
      expect(namespace?.metadata.labels?.['korifi.cloudfoundry.org/org-guid']).to.equal(org.guid);
    });

    it('refuses suspended: true', async () => {
      const response = await cf.post('/v3/organizations', { name: uniqueName('org'), suspended: true });
      expectCfError(response, cfError.unprocessable('suspended value must be one of: false'));
    });

    it('refuses a name that is taken, also in another letter case', async () => {
      const name = uniqueName('dup');
      await cf.createOrg(name);
      expectCfError(await cf.post('/v3/organizations', { name }), alreadyExists(name));
      expectCfError(await cf.post('/v3/organizations', { name: name.toUpperCase() }), alreadyExists(name.toUpperCase()));
      expect((await list(`?names=${name.toUpperCase()}`)).resources).to.deep.equal([]);
    });

    it('lets exactly one of concurrent creates with the same name win', async () => {
      const name = uniqueName('race');
      const responses = await Promise.all(['', '', '', ''].map(() => cf.post('/v3/organizations', { name })));
      expect(responses.map((response) => response.status).sort()).to.deep.equal([201, 422, 422, 422]);
      for (const response of responses.filter((candidate) => candidate.status === 422)) expectCfError(response, alreadyExists(name));
      expect((await list(`?names=${name}`)).resources).to.have.length(1);
    });

    it('refuses a user who is not an admin, leaving the name free', async () => {
      const manager = await cf.newUser('manager');
      await cf.grant(manager.name, 'organization_manager', { organization: (await cf.createOrg()).guid });
      const name = uniqueName('org');
      expectCfError(await cf.post('/v3/organizations', { name }, manager.headers), cfError.notAuthorized());
      expect((await cf.createOrg(name)).name).to.equal(name);
    });

    it('answers 400 CF-MessageParseError to a malformed body', async () => {
      expectCfError(await cf.send('POST', '/v3/organizations', { body: '{"name": ' }), cfError.messageParseError());
    });

    it('answers 422 to an unknown field and to a missing name', async () => {
      const unknownField = await cf.post('/v3/organizations', { name: uniqueName('org'), colour: 'blue' });
      expectCfError(unknownField, cfError.unprocessable('invalid request body: json: unknown field "colour"'));
      expectCfError(await cf.post('/v3/organizations', {}), cfError.unprocessable('name cannot be blank'));
    });

    it('refuses metadata keys in the cloudfoundry.org domain', async () => {
      const response = await cf.post('/v3/organizations', {
        name: uniqueName('org'),
        metadata: { labels: { 'korifi.cloudfoundry.org/org-guid': 'x' } },
      });
      expectCfError(response, cfError.unprocessable('metadata.labels key "korifi.cloudfoundry.org/org-guid" has an invalid format'));
    });

    it('answers 401 without credentials', async () => {
      const response = await cf.server.request('/v3/organizations', { method: 'POST', body: JSON.stringify({ name: uniqueName('org') }) });
      expectCfError(response, cfError.notAuthenticated());
    });
  });

  describe('GET /v3/organizations/{guid}', () => {
    it('gets an org', async () => {
      const created = await cf.createOrg();
      const response = await cf.get(`/v3/organizations/${created.guid}`);
      expect(response.status, response.text).to.equal(200);
      const org = response.body as Organization;
      expect(org).to.deep.include({ guid: created.guid, name: created.name, links: created.links, metadata: created.metadata });
      expect(org.created_at).to.equal(created.created_at);
    });

    it('answers 404 for an unknown GUID', async () => {
      expectCfError(await cf.get('/v3/organizations/00000000-0000-4000-8000-000000000000'), orgNotFound);
    });

    it('answers 404 to a user who holds no role in it', async () => {
      const org = await cf.createOrg();
      const user = await cf.newUser('outsider');
      expectCfError(await cf.get(`/v3/organizations/${org.guid}`, user.headers), orgNotFound);
    });
  });

  describe('GET /v3/organizations', () => {
    let orgs: Organization[];
    const guidsQuery = () => `guids=${orgs.map((org) => org.guid).join(',')}`;

    before(async () => {
      const prefix = uniqueName('list');
      orgs = [];
      // Created in an order different from their names' order.
      for (const suffix of ['b', 'c', 'a']) orgs.push(await cf.createOrg(`${prefix}-${suffix}`));
      const labelled = await cf.patch(`/v3/organizations/${orgs[0]!.guid}`, { metadata: { labels: { tier: 'gold' } } });
      expect(labelled.status, labelled.text).to.equal(200);
    });

    it('filters by names', async () => {
      const [first, second] = orgs;
      const page = await list(`?names=${first!.name},${second!.name}`);
      expect(page.resources.map((org) => org.guid)).to.have.members([first!.guid, second!.guid]);
      expect(page.pagination.total_results).to.equal(2);
    });

    it('finds names with commas and spaces, as the cf CLI encodes them', async () => {
      const withComma = await cf.createOrg(`${uniqueName('a')},b`);
      const withSpace = await cf.createOrg(`${uniqueName('my')} org`);
      // The cf CLI turns a comma inside a name into %2C before encoding the query, so it arrives as %252C.
      const commaQuery = encodeURIComponent(withComma.name.replace(',', '%2C'));
      expect((await list(`?names=${commaQuery}`)).resources.map((org) => org.guid)).to.deep.equal([withComma.guid]);
      expect((await list(`?names=${encodeURIComponent(withSpace.name)}`)).resources.map((org) => org.guid)).to.deep.equal([withSpace.guid]);
    });

    it('filters by guids', async () => {
      const page = await list(`?guids=${orgs[2]!.guid}`);
      expect(page.resources.map((org) => org.name)).to.deep.equal([orgs[2]!.name]);
    });

    it('orders by name and by -name', async () => {
      const names = orgs.map((org) => org.name).sort();
      expect((await list(`?${guidsQuery()}&order_by=name`)).resources.map((org) => org.name)).to.deep.equal(names);
      expect((await list(`?${guidsQuery()}&order_by=-name`)).resources.map((org) => org.name)).to.deep.equal([...names].reverse());
    });

    it('filters by label_selector', async () => {
      expect((await list(`?${guidsQuery()}&label_selector=tier=gold`)).resources.map((org) => org.guid)).to.deep.equal([orgs[0]!.guid]);
      expect((await list(`?${guidsQuery()}&label_selector=!tier`)).resources).to.have.length(2);
      const setBased = encodeURIComponent('tier in (gold,silver)');
      expect((await list(`?${guidsQuery()}&label_selector=${setBased}`)).resources.map((org) => org.guid)).to.deep.equal([orgs[0]!.guid]);
    });

    it('pages with next links that keep the filters', async () => {
      const query = `${guidsQuery()}&order_by=name`;
      const first = await list(`?${query}&per_page=1`);
      const sorted = orgs.map((org) => org.name).sort();
      expect(first.resources.map((org) => org.name)).to.deep.equal([sorted[0]]);
      expect(first.pagination).to.deep.equal({
        total_results: 3,
        total_pages: 3,
        first: { href: cf.url(`/v3/organizations?${query}&page=1&per_page=1`) },
        last: { href: cf.url(`/v3/organizations?${query}&page=3&per_page=1`) },
        next: { href: cf.url(`/v3/organizations?${query}&page=2&per_page=1`) },
        previous: null,
      });
      const second = await list(`?${query}&page=2&per_page=1`);
      expect(second.resources.map((org) => org.name)).to.deep.equal([sorted[1]]);
    });

    it('shows a user only the orgs they hold a role in', async () => {
      const user = await cf.newUser('member');
      await cf.grant(user.name, 'organization_user', { organization: orgs[1]!.guid });
      const response = await cf.get('/v3/organizations', user.headers);
      expect(response.status, response.text).to.equal(200);
      expect((response.body as ListOf<Organization>).resources.map((org) => org.guid)).to.deep.equal([orgs[1]!.guid]);
    });

    it('answers 422 to an unknown order_by', async () => {
      expectCfError(
        await cf.get('/v3/organizations?order_by=guid'),
        cfError.unprocessable('order_by value must be one of: created_at, -created_at, updated_at, -updated_at, name, -name'),
      );
    });
  });

  describe('PATCH /v3/organizations/{guid}', () => {
    it('renames an org and frees the old name', async () => {
      const org = await cf.createOrg();
      const newName = uniqueName('renamed');
      const response = await cf.patch(`/v3/organizations/${org.guid}`, { name: newName });
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.include({ guid: org.guid, name: newName });
      expect(((await cf.get(`/v3/organizations/${org.guid}`)).body as Organization).name).to.equal(newName);
      await cf.createOrg(org.name);
    });

    it('refuses a rename to a taken name', async () => {
      const taken = await cf.createOrg();
      const org = await cf.createOrg();
      expectCfError(
        await cf.patch(`/v3/organizations/${org.guid}`, { name: taken.name.toUpperCase() }),
        alreadyExists(taken.name.toUpperCase()),
      );
      expect(((await cf.get(`/v3/organizations/${org.guid}`)).body as Organization).name).to.equal(org.name);
    });

    it('allows a rename that only changes the letter case, keeping the name claimed', async () => {
      const org = await cf.createOrg();
      const response = await cf.patch(`/v3/organizations/${org.guid}`, { name: org.name.toUpperCase() });
      expect(response.status, response.text).to.equal(200);
      expect((response.body as Organization).name).to.equal(org.name.toUpperCase());
      expectCfError(await cf.post('/v3/organizations', { name: org.name }), alreadyExists(org.name));
    });

    it('changes labels and annotations, a null deleting one', async () => {
      const org = await cf.createOrg();
      const path = `/v3/organizations/${org.guid}`;
      const set = await cf.patch(path, { metadata: { labels: { a: '1', b: '2' }, annotations: { note: 'hi' } } });
      expect(set.status, set.text).to.equal(200);
      expect((set.body as Organization).metadata).to.deep.equal({ labels: { a: '1', b: '2' }, annotations: { note: 'hi' } });
      const unset = await cf.patch(path, { metadata: { labels: { a: null }, annotations: { note: null } } });
      expect(unset.status, unset.text).to.equal(200);
      expect((unset.body as Organization).metadata).to.deep.equal({ labels: { b: '2' }, annotations: {} });
      expect(((await cf.get(path)).body as Organization).metadata).to.deep.equal({ labels: { b: '2' }, annotations: {} });
    });

    it('answers 404 for an unknown org, 422 to suspended: true and 400 to a malformed body', async () => {
      const org = await cf.createOrg();
      expectCfError(await cf.patch('/v3/organizations/00000000-0000-4000-8000-000000000000', { name: 'x' }), orgNotFound);
      expectCfError(
        await cf.patch(`/v3/organizations/${org.guid}`, { suspended: true }),
        cfError.unprocessable('suspended value must be one of: false'),
      );
      expectCfError(await cf.send('PATCH', `/v3/organizations/${org.guid}`, { body: 'not json' }), cfError.messageParseError());
      expectCfError(await cf.patch(`/v3/organizations/${org.guid}`, { name: '' }), cfError.unprocessable('name cannot be blank'));
    });
  });

  describe('domains and isolation segment of an org', () => {
    it('gives the configured default domain', async () => {
      const org = await cf.createOrg();
      const response = await cf.get(`/v3/organizations/${org.guid}/domains/default`);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.include({ name: cf.server.config.defaultDomain, internal: false });
    });

    it('lists every domain as the org domains', async () => {
      const org = await cf.createOrg();
      const response = await cf.get(`/v3/organizations/${org.guid}/domains`);
      expect(response.status, response.text).to.equal(200);
      const names = (response.body as ListOf<{ name: string }>).resources.map((domain) => domain.name);
      expect(names).to.include(cf.server.config.defaultDomain);
      const all = (await cf.get('/v3/domains')).body as ListOf<{ name: string }>;
      expect(names).to.have.members(all.resources.map((domain) => domain.name));
    });

    it('has no default isolation segment', async () => {
      const org = await cf.createOrg();
      const response = await cf.get(`/v3/organizations/${org.guid}/relationships/default_isolation_segment`);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.equal({
        data: null,
        links: { self: { href: cf.url(`/v3/organizations/${org.guid}/relationships/default_isolation_segment`) } },
      });
    });

    it('answers 404 for an unknown org', async () => {
      const unknown = '00000000-0000-4000-8000-000000000000';
      expectCfError(await cf.get(`/v3/organizations/${unknown}/domains/default`), orgNotFound);
      expectCfError(await cf.get(`/v3/organizations/${unknown}/domains`), orgNotFound);
      expectCfError(await cf.get(`/v3/organizations/${unknown}/relationships/default_isolation_segment`), orgNotFound);
    });
  });

  describe('DELETE /v3/organizations/{guid}', () => {
    it('deletes the org with its namespace, its spaces and their namespaces, then frees its name', async () => {
      const org = await cf.createOrg();
      const spaces = [await cf.createSpace(org.guid), await cf.createSpace(org.guid)];
      const member = uniqueName('member');
      await cf.grant(member, 'organization_user', { organization: org.guid });
      await cf.grant(member, 'space_developer', { space: spaces[0]!.guid });
      const { job, states } = await cf.deleteAndWait(`/v3/organizations/${org.guid}`, 'org.delete', org.guid);
      expect(job).to.deep.equal({
        guid: `org.delete~${org.guid}`,
        operation: 'org.delete',
        state: 'COMPLETE',
        errors: [],
        warnings: [],
        links: { self: { href: cf.url(`/v3/jobs/org.delete~${org.guid}`) } },
      });
      expect(
        states.slice(0, -1).every((state) => state === 'PROCESSING'),
        states.join(),
      ).to.equal(true);
      expectCfError(await cf.get(`/v3/organizations/${org.guid}`), orgNotFound);
      expect(await findStored(cf.server, { kind: 'Namespace', name: org.guid })).to.equal(undefined);
      for (const space of spaces) {
        expect(await findStored(cf.server, { kind: 'Namespace', name: space.guid })).to.equal(undefined);
        expect((await cf.server.store.privileged().list('CFSpace', { name: space.guid })).items).to.deep.equal([]);
      }
      const roles = await cf.get(`/v3/roles?user_guids=${member}`);
      expect((roles.body as ListOf<unknown>).resources).to.deep.equal([]);
      // The name claim goes with the org (on Kubernetes through the garbage collector, a little later).
      await eventually(() => cf.createOrg(org.name), 30_000);
    });

    it('answers 404 for an unknown org and for one the caller cannot see', async () => {
      expectCfError(await cf.delete('/v3/organizations/00000000-0000-4000-8000-000000000000'), orgNotFound);
      const org = await cf.createOrg();
      const user = await cf.newUser('outsider');
      expectCfError(await cf.delete(`/v3/organizations/${org.guid}`, user.headers), orgNotFound);
    });

    it('refuses an org user deleting the org', async () => {
      const org = await cf.createOrg();
      const user = await cf.newUser('orguser');
      await cf.grant(user.name, 'organization_user', { organization: org.guid });
      expectCfError(await cf.delete(`/v3/organizations/${org.guid}`, user.headers), cfError.notAuthorized());
    });
  });
});
