import { expect } from 'chai';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from './backends.ts';
import type { CfUser } from './cf-client.ts';
import { cfError, expectCfError } from './cf-errors.ts';
import type { Domain, ListOf } from './resources.ts';
import { timestampPattern, uuidPattern } from './store-lookups.ts';

const domainNotFound = cfError.notFound('Domain');
const unknownGuid = '00000000-0000-4000-8000-000000000000';
const uniqueDomain = () => `${uniqueName('d')}.example.test`;

forEachBackend('domains', (cf) => {
  const createDomain = async (name = uniqueDomain()) => {
    const response = await cf.post('/v3/domains', { name, internal: false });
    expect(response.status, response.text).to.equal(201);
    return response.body as Domain;
  };
  const listNames = async (query = '', as?: Record<string, string>) => {
    const response = await cf.get(`/v3/domains${query}`, as);
    expect(response.status, response.text).to.equal(200);
    return (response.body as ListOf<Domain>).resources.map((domain) => domain.name);
  };

  describe('GET /v3/domains', () => {
    it('lists the configured default domain, shared and HTTP-only', async () => {
      const response = await cf.get(`/v3/domains?names=${cf.server.config.defaultDomain}`);
      expect(response.status, response.text).to.equal(200);
      const [domain, ...rest] = (response.body as ListOf<Domain>).resources;
      expect(rest).to.deep.equal([]);
      expect(domain?.guid).to.match(uuidPattern);
      expect(domain).to.deep.include({
        name: cf.server.config.defaultDomain,
        internal: false,
        router_group: null,
        supported_protocols: ['http'],
        relationships: { organization: { data: null }, shared_organizations: { data: [] } },
        metadata: { labels: {}, annotations: {} },
      });
    });

    it('filters by names and guids', async () => {
      const [first, second] = [await createDomain(), await createDomain()];
      expect(await listNames(`?names=${first.name}`)).to.deep.equal([first.name]);
      expect(await listNames(`?guids=${first.guid},${second.guid}&order_by=created_at`)).to.have.members([first.name, second.name]);
    });

    it('accepts organization_guids, which narrows nothing since every domain is shared', async () => {
      const org = await cf.createOrg();
      expect(await listNames(`?organization_guids=${org.guid}&per_page=5000`)).to.have.members(await listNames('?per_page=5000'));
    });

    it('gives a user without roles an empty list', async () => {
      const user = await cf.newUser('nobody');
      const response = await cf.get('/v3/domains', user.headers);
      expect(response.status, response.text).to.equal(200);
      expect((response.body as ListOf<Domain>).resources).to.deep.equal([]);
      expect((response.body as ListOf<Domain>).pagination.total_results).to.equal(0);
    });
  });

  describe('POST /v3/domains', () => {
    it('creates a shared domain with a lower-cased name', async () => {
      const name = uniqueDomain();
      const response = await cf.post('/v3/domains', { name: name.toUpperCase(), internal: false, metadata: { labels: { team: 'a' } } });
      expect(response.status, response.text).to.equal(201);
      const domain = response.body as Domain;
      expect(domain.guid).to.match(uuidPattern);
      expect(domain.created_at).to.match(timestampPattern);
      const self = cf.url(`/v3/domains/${domain.guid}`);
      expect(domain).to.deep.include({
        name,
        internal: false,
        supported_protocols: ['http'],
        metadata: { labels: { team: 'a' }, annotations: {} },
        links: { self: { href: self }, route_reservations: { href: `${self}/route_reservations` } },
      });
      expect(await listNames(`?names=${name}`)).to.deep.equal([name]);
    });

    it('refuses a name in use, in any letter case', async () => {
      const { name } = await createDomain();
      expectCfError(await cf.post('/v3/domains', { name }), cfError.unprocessable(`The domain name "${name}" is already in use.`));
      const upper = name.toUpperCase();
      expectCfError(await cf.post('/v3/domains', { name: upper }), cfError.unprocessable(`The domain name "${upper}" is already in use.`));
    });

    it('refuses a subdomain or a parent domain of an existing domain', async () => {
      const { name } = await createDomain();
      const overlapping = cfError.unprocessable('Overlapping domain exists');
      expectCfError(await cf.post('/v3/domains', { name: `sub.${name}` }), overlapping);
      expectCfError(await cf.post('/v3/domains', { name: name.split('.').slice(1).join('.') }), overlapping);
      expectCfError(await cf.post('/v3/domains', { name: `x.${cf.server.config.defaultDomain}` }), overlapping);
    });

    it('refuses internal and private domains', async () => {
      expectCfError(
        await cf.post('/v3/domains', { name: uniqueDomain(), internal: true }),
        cfError.unprocessable('Internal domains are not supported.'),
      );
      const privateDomain = { name: uniqueDomain(), relationships: { organization: { data: { guid: unknownGuid } } } };
      expectCfError(
        await cf.post('/v3/domains', privateDomain),
        cfError.unprocessable('Private domains are not supported; every domain is shared.'),
      );
    });

    it('refuses a name that is not a domain name', async () => {
      expectCfError(await cf.post('/v3/domains', { name: 'not_a_domain' }), cfError.unprocessable('name has an invalid format'));
      expectCfError(await cf.post('/v3/domains', { name: 'single-label' }), cfError.unprocessable('name has an invalid format'));
    });

    it('answers 400 to a malformed body and 422 to an unknown field', async () => {
      expectCfError(await cf.send('POST', '/v3/domains', { body: '{' }), cfError.messageParseError());
      const response = await cf.post('/v3/domains', { name: uniqueDomain(), router_group: { guid: 'x' } });
      expectCfError(response, cfError.unprocessable('invalid request body: json: unknown field "router_group"'));
    });
  });

  describe('GET, PATCH and DELETE /v3/domains/{guid}', () => {
    it('gets a domain', async () => {
      const created = await createDomain();
      const response = await cf.get(`/v3/domains/${created.guid}`);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.include({ guid: created.guid, name: created.name, links: created.links });
    });

    it('changes labels and annotations, a null deleting one', async () => {
      const { guid } = await createDomain();
      const set = await cf.patch(`/v3/domains/${guid}`, { metadata: { labels: { a: '1', b: '2' }, annotations: { note: 'x' } } });
      expect(set.status, set.text).to.equal(200);
      expect((set.body as Domain).metadata).to.deep.equal({ labels: { a: '1', b: '2' }, annotations: { note: 'x' } });
      const unset = await cf.patch(`/v3/domains/${guid}`, { metadata: { labels: { b: null } } });
      expect((unset.body as Domain).metadata).to.deep.equal({ labels: { a: '1' }, annotations: { note: 'x' } });
    });

    it('deletes a domain', async () => {
      const { guid, name } = await createDomain();
      const { job } = await cf.deleteAndWait(`/v3/domains/${guid}`, 'domain.delete', guid);
      expect(job).to.deep.include({ guid: `domain.delete~${guid}`, operation: 'domain.delete', state: 'COMPLETE', errors: [] });
      expectCfError(await cf.get(`/v3/domains/${guid}`), domainNotFound);
      expect(await listNames(`?names=${name}`)).to.deep.equal([]);
    });

    it('answers 404 for an unknown domain', async () => {
      expectCfError(await cf.get(`/v3/domains/${unknownGuid}`), domainNotFound);
      expectCfError(await cf.patch(`/v3/domains/${unknownGuid}`, { metadata: { labels: { a: '1' } } }), domainNotFound);
      expectCfError(await cf.delete(`/v3/domains/${unknownGuid}`), domainNotFound);
    });
  });

  describe('a user with an org role', () => {
    let user: CfUser;
    let domain: Domain;
    before(async () => {
      const org = await cf.createOrg();
      user = await cf.newUser('orgmanager');
      await cf.grant(user.name, 'organization_manager', { organization: org.guid });
      domain = await createDomain();
    });

    it('lists and gets domains', async () => {
      expect(await listNames('', user.headers)).to.include.members([cf.server.config.defaultDomain, domain.name]);
      const response = await cf.get(`/v3/domains/${domain.guid}`, user.headers);
      expect(response.status, response.text).to.equal(200);
      expect((response.body as Domain).name).to.equal(domain.name);
    });

    it('may not create, update or delete them', async () => {
      const name = uniqueDomain();
      expectCfError(await cf.post('/v3/domains', { name }, user.headers), cfError.notAuthorized());
      expect(await listNames(`?names=${name}`)).to.deep.equal([]);
      expectCfError(
        await cf.patch(`/v3/domains/${domain.guid}`, { metadata: { labels: { a: 'b' } } }, user.headers),
        cfError.notAuthorized(),
      );
      expectCfError(await cf.delete(`/v3/domains/${domain.guid}`, user.headers), cfError.notAuthorized());
      expect((await cf.get(`/v3/domains/${domain.guid}`)).status).to.equal(200);
      // A refused create must not keep the name claimed.
      expect((await createDomain(name)).name).to.equal(name);
    });
  });
});
