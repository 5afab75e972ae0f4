import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';
import { twoSpacesWorld } from '../two-spaces-world.ts';

type ServiceInstance = components['schemas']['ServiceInstance'];
type InstanceList = ListOf<ServiceInstance> & { included?: Record<string, Record<string, unknown>[]> };

forEachBackend('user-provided service instances', (cf) => {
  let org: Organization;
  let space: Space;
  let otherSpace: Space;
  let developer: CfUser;
  let reader: CfUser;

  const create = async (spaceGuid: string, extra: Record<string, unknown> = {}, as?: CfUser) => {
    const body = { type: 'user-provided', name: uniqueName('si'), relationships: { space: { data: { guid: spaceGuid } } }, ...extra };
    return cf.post('/v3/service_instances', body, as?.headers);
  };
  const created = async (spaceGuid: string, extra: Record<string, unknown> = {}) => {
    const response = await create(spaceGuid, extra);
    expect(response.status, response.text).to.equal(201);
    return response.body as ServiceInstance;
  };

  before(async () => {
    ({ org, space, otherSpace, developer, manager: reader } = await twoSpacesWorld(cf));
  });

  it('creates an instance as cf cups sends it, stored as Korifi stores it, and presents it as CF does', async () => {
    const name = uniqueName('db');
    const response = await create(
      space.guid,
      { name, credentials: { uri: 'postgres://db', port: 5432 }, tags: ['pg', 'sql'], syslog_drain_url: 'syslog://logs:514' },
      developer,
    );
    expect(response.status, response.text).to.equal(201);
    const instance = response.body as ServiceInstance;
    expect(instance).to.deep.include({
      name,
      type: 'user-provided',
      tags: ['pg', 'sql'],
      syslog_drain_url: 'syslog://logs:514',
      route_service_url: null,
      relationships: { space: { data: { guid: space.guid } } },
      metadata: { labels: {}, annotations: {} },
    });
    expect(instance.links.credentials?.href).to.equal(cf.url(`/v3/service_instances/${instance.guid}/credentials`));
    expect(instance.links.service_credential_bindings.href).to.equal(
      cf.url(`/v3/service_credential_bindings?service_instance_guids=${instance.guid}`),
    );
    const store = cf.server.store.privileged();
    const stored = await store.get({ kind: 'CFServiceInstance', namespace: space.guid, name: instance.guid });
    expect(stored.spec).to.deep.include({
      displayName: name,
      secretName: instance.guid,
      type: 'user-provided',
      tags: ['pg', 'sql'],
      planGuid: '',
    });
    expect(stored.metadata.labels).to.include({ 'korifi.cloudfoundry.org/service-instance-type': 'user-provided' });
    const secret = await store.get({ kind: 'Secret', namespace: space.guid, name: instance.guid });
    expect(secret.metadata.labels).to.deep.include({ 'korifi.cloudfoundry.org/service-instance-guid': instance.guid });
    expect(secret.metadata.ownerReferences?.[0]).to.include({ kind: 'CFServiceInstance', name: instance.guid, uid: stored.metadata.uid });
    expect(JSON.parse(Buffer.from(secret.data?.['credentials'] ?? '', 'base64').toString())).to.deep.equal({
      uri: 'postgres://db',
      port: 5432,
    });
    // Its controller makes it Ready with a succeeded create.
    const ready = await store.waitFor(
      { kind: 'CFServiceInstance', namespace: space.guid, name: instance.guid },
      (object) => object.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false,
      { timeoutMs: 20_000 },
    );
    expect(ready.status?.credentials).to.deep.equal({ name: instance.guid });
    const shown = (await cf.get(`/v3/service_instances/${instance.guid}`)).body as ServiceInstance;
    expect(shown.last_operation).to.deep.include({ type: 'create', state: 'succeeded' });
  });

  it('returns the credentials as given, to those who may read them', async () => {
    const instance = await created(space.guid, { credentials: { user: 'u', nested: { a: [1, 2] } } });
    const response = await cf.get(`/v3/service_instances/${instance.guid}/credentials`, developer.headers);
    expect(response.status, response.text).to.equal(200);
    expect(response.body).to.deep.equal({ user: 'u', nested: { a: [1, 2] } });
    const none = await created(space.guid);
    expect((await cf.get(`/v3/service_instances/${none.guid}/credentials`)).body).to.deep.equal({});
    // A space manager sees the instance but may not read Secrets.
    expectCfError(await cf.get(`/v3/service_instances/${instance.guid}/credentials`, reader.headers), cfError.notAuthorized());
  });

  it('refuses a taken name (case-sensitively), a managed instance, long tags and a bad space with CF errors', async () => {
    const name = uniqueName('taken');
    await created(space.guid, { name });
    const again = await create(space.guid, { name });
    expect(again.status, again.text).to.equal(422);
    expect((again.body as { errors: { detail: string }[] }).errors[0]?.detail).to.equal(`The service instance name is taken: ${name}`);
    expect((await create(space.guid, { name: name.toUpperCase() })).status).to.equal(201);
    expect((await create(otherSpace.guid, { name })).status).to.equal(201);
    const managed = await create(space.guid, { type: 'managed' });
    expect(managed.status, managed.text).to.equal(422);
    expect((managed.body as { errors: { detail: string }[] }).errors[0]?.detail).to.contain('Invalid service plan');
    expectCfError(
      await create(space.guid, { tags: ['x'.repeat(2048)] }),
      cfError.unprocessable('combined length of tags cannot exceed 2048'),
    );
    expectCfError(
      await create('00000000-0000-4000-8000-000000000000'),
      cfError.unprocessable('Invalid space. Ensure that the space exists and you have access to it.'),
    );
    expectCfError(await create(space.guid, {}, reader), cfError.notAuthorized());
    const badBody = await cf.post('/v3/service_instances', { type: 'user-provided', name: 'x' });
    expect(badBody.status, badBody.text).to.equal(422);
    const badUrl = await create(space.guid, { route_service_url: 'http://not-https' });
    expect(badUrl.status, badUrl.text).to.equal(422);
  });

  it('lists with every filter, order_by and the fields cf services sends', async () => {
    const a = await created(space.guid, { name: uniqueName('a-list'), metadata: { labels: { tier: 'gold' } } });
    const b = await created(otherSpace.guid, { name: uniqueName('b-list') });
    const list = async (query: string, as?: CfUser) => {
      const response = await cf.get(`/v3/service_instances${query}`, as?.headers);
      expect(response.status, response.text).to.equal(200);
      return response.body as InstanceList;
    };
    const guids = (page: InstanceList) => page.resources.map((instance) => instance.guid);
    expect(guids(await list(`?names=${a.name},${b.name}&order_by=name`))).to.deep.equal([a.guid, b.guid]);
    expect(guids(await list(`?names=${a.name},${b.name}&order_by=-name`))).to.deep.equal([b.guid, a.guid]);
    expect(guids(await list(`?guids=${b.guid}`))).to.deep.equal([b.guid]);
    expect(guids(await list(`?space_guids=${otherSpace.guid}&names=${b.name}`))).to.deep.equal([b.guid]);
    expect(guids(await list(`?organization_guids=${org.guid}&names=${a.name}`))).to.deep.equal([a.guid]);
    expect(guids(await list(`?type=managed&names=${a.name}`))).to.deep.equal([]);
    expect(guids(await list(`?type=user-provided&names=${a.name}`))).to.deep.equal([a.guid]);
    expect(guids(await list(`?service_plan_names=x&names=${a.name}`))).to.deep.equal([]);
    expect(guids(await list(`?label_selector=tier=gold&space_guids=${space.guid}`))).to.deep.equal([a.guid]);
    const services = await list(
      `?fields[service_plan]=guid,name,relationships.service_offering&fields[service_plan.service_offering]=guid,name,relationships.service_broker` +
        `&fields[service_plan.service_offering.service_broker]=guid,name&order_by=name&per_page=5000&space_guids=${space.guid}`,
    );
    expect(guids(services)).to.include(a.guid);
    expect(services.included).to.deep.equal({ service_plans: [], service_offerings: [], service_brokers: [] });
    const withSpace = await list(`?guids=${a.guid}&fields[space]=guid,name&fields[space.organization]=name`);
    expect(withSpace.included).to.deep.equal({ spaces: [{ guid: space.guid, name: space.name }], organizations: [{ name: org.name }] });
    const got = await cf.get(`/v3/service_instances/${a.guid}?fields[space]=name,guid,relationships.organization`);
    expect((got.body as { included?: unknown }).included).to.deep.equal({
      spaces: [{ guid: space.guid, name: space.name, relationships: { organization: { data: { guid: org.guid } } } }],
    });
    // A developer of one space sees that space's instances only.
    expect(guids(await list(`?names=${a.name},${b.name}`, developer))).to.deep.equal([a.guid]);
    expectCfError(await cf.get(`/v3/service_instances/${b.guid}`, developer.headers), cfError.notFound('Service Instance'));
    expect((await cf.get('/v3/service_instances?type=other')).status).to.equal(422);
    expect((await cf.get('/v3/service_instances?fields[space]=bogus')).status).to.equal(422);
  });

  it('updates name, tags, credentials and metadata, with null clearing tags and credentials', async () => {
    const instance = await created(space.guid, { credentials: { a: 1 }, tags: ['one'] });
    const newName = uniqueName('renamed');
    const response = await cf.patch(
      `/v3/service_instances/${instance.guid}`,
      { name: newName, tags: ['two'], credentials: { b: 2 }, metadata: { labels: { env: 'prod' } } },
      developer.headers,
    );
    expect(response.status, response.text).to.equal(200);
    expect(response.body).to.deep.include({ name: newName, tags: ['two'], metadata: { labels: { env: 'prod' }, annotations: {} } });
    expect((await cf.get(`/v3/service_instances/${instance.guid}/credentials`)).body).to.deep.equal({ b: 2 });
    const cleared = await cf.patch(`/v3/service_instances/${instance.guid}`, { tags: null, credentials: null });
    expect(cleared.status, cleared.text).to.equal(200);
    expect((cleared.body as ServiceInstance).tags).to.deep.equal([]);
    expect((await cf.get(`/v3/service_instances/${instance.guid}/credentials`)).body).to.deep.equal({});
    // The old name is free again; the new one is taken.
    expect((await create(space.guid, { name: instance.name })).status).to.equal(201);
    const taken = await cf.patch(`/v3/service_instances/${instance.guid}`, { name: instance.name });
    expect(taken.status, taken.text).to.equal(422);
    expectCfError(await cf.patch(`/v3/service_instances/${instance.guid}`, { name: 'x' }, reader.headers), cfError.notAuthorized());
    expectCfError(
      await cf.patch('/v3/service_instances/00000000-0000-4000-8000-000000000000', { name: 'x' }),
      cfError.notFound('Service Instance'),
    );
    expect((await cf.patch(`/v3/service_instances/${instance.guid}`, { bogus: 1 })).status).to.equal(422);
  });

  it('deletes an instance (204) with its Secret, freeing its name', async () => {
    const instance = await created(space.guid);
    expectCfError(await cf.delete(`/v3/service_instances/${instance.guid}`, reader.headers), cfError.notAuthorized());
    const response = await cf.delete(`/v3/service_instances/${instance.guid}`, developer.headers);
    expect(response.status, response.text).to.equal(204);
    expectCfError(await cf.get(`/v3/service_instances/${instance.guid}`), cfError.notFound('Service Instance'));
    expectCfError(await cf.delete(`/v3/service_instances/${instance.guid}`), cfError.notFound('Service Instance'));
    expect((await create(space.guid, { name: instance.name })).status).to.equal(201);
  });
});
