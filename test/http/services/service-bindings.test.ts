import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';
import { twoSpacesWorld } from '../two-spaces-world.ts';

type ServiceInstance = components['schemas']['ServiceInstance'];
type Binding = components['schemas']['ServiceCredentialBinding'];
type App = components['schemas']['App'];
type BindingList = ListOf<Binding> & { included?: { apps?: App[]; service_instances?: ServiceInstance[] } };
type AppEnvironment = components['schemas']['AppEnvironment'];

forEachBackend('service credential bindings', (cf) => {
  let org: Organization;
  let space: Space;
  let otherSpace: Space;
  let developer: CfUser;
  let reader: CfUser;

  const createApp = async (spaceGuid: string) => {
    const response = await cf.post('/v3/apps', { name: uniqueName('app'), relationships: { space: { data: { guid: spaceGuid } } } });
    expect(response.status, response.text).to.equal(201);
    return response.body as App;
  };
  const createInstance = async (spaceGuid: string, extra: Record<string, unknown> = {}) => {
    const body = { type: 'user-provided', name: uniqueName('si'), relationships: { space: { data: { guid: spaceGuid } } }, ...extra };
    const response = await cf.post('/v3/service_instances', body);
    expect(response.status, response.text).to.equal(201);
    return response.body as ServiceInstance;
  };
  const bind = (instanceGuid: string, appGuid: string | undefined, extra: Record<string, unknown> = {}, as?: CfUser) =>
    cf.post(
      '/v3/service_credential_bindings',
      {
        type: 'app',
        relationships: {
          service_instance: { data: { guid: instanceGuid } },
          ...(appGuid === undefined ? {} : { app: { data: { guid: appGuid } } }),
        },
        ...extra,
      },
      as?.headers,
    );
  const bound = async (instanceGuid: string, appGuid: string, extra: Record<string, unknown> = {}) => {
    const response = await bind(instanceGuid, appGuid, extra);
    expect(response.status, response.text).to.equal(201);
    return response.body as Binding;
  };
  const vcapServicesOf = async (appGuid: string) => {
    const response = await cf.get(`/v3/apps/${appGuid}/env`);
    expect(response.status, response.text).to.equal(200);
    return (response.body as AppEnvironment).system_env_json.VCAP_SERVICES;
  };

  before(async () => {
    ({ org, space, otherSpace, developer, manager: reader } = await twoSpacesWorld(cf));
  });

  it('binds as cf bind-service does: Ready at once, stored as Korifi stores it, in VCAP_SERVICES in CF shape', async () => {
    const app = await createApp(space.guid);
    const instance = await createInstance(space.guid, {
      credentials: { password: 's3cret' },
      tags: ['db'],
      syslog_drain_url: 'syslog://d:1',
    });
    const response = await bind(instance.guid, app.guid, {}, developer);
    expect(response.status, response.text).to.equal(201);
    const binding = response.body as Binding;
    expect(binding).to.deep.include({
      name: null,
      type: 'app',
      relationships: { service_instance: { data: { guid: instance.guid } }, app: { data: { guid: app.guid } } },
    });
    expect(binding.last_operation).to.deep.include({ type: 'create', state: 'succeeded' });
    expect(binding.links.details.href).to.equal(cf.url(`/v3/service_credential_bindings/${binding.guid}/details`));
    const store = cf.server.store.privileged();
    const stored = await store.get({ kind: 'CFServiceBinding', namespace: space.guid, name: binding.guid });
    expect(stored.spec).to.deep.include({ type: 'app', appRef: { name: app.guid } });
    expect(stored.spec.service).to.deep.include({
      kind: 'CFServiceInstance',
      apiVersion: 'korifi.cloudfoundry.org/v1alpha1',
      name: instance.guid,
    });
    expect(stored.metadata.labels).to.include({
      'servicebinding.io/provisioned-service': 'true',
      'korifi.cloudfoundry.org/app-guid': app.guid,
      'korifi.cloudfoundry.org/service-instance-guid': instance.guid,
    });
    const storedApp = await store.get({ kind: 'CFApp', namespace: space.guid, name: app.guid });
    expect(storedApp.status?.serviceBindings).to.deep.equal([{ guid: binding.guid, name: instance.name, secret: instance.guid }]);
    expect(storedApp.status?.vcapServicesSecretName).to.equal(`${app.guid}-vcap-services`);
    expect(await vcapServicesOf(app.guid)).to.deep.equal({
      'user-provided': [
        {
          label: 'user-provided',
          name: instance.name,
          tags: ['db'],
          instance_guid: instance.guid,
          instance_name: instance.name,
          binding_guid: binding.guid,
          binding_name: null,
          credentials: { password: 's3cret' },
          syslog_drain_url: 'syslog://d:1',
          volume_mounts: [],
        },
      ],
    });
    const details = await cf.get(`/v3/service_credential_bindings/${binding.guid}/details`, developer.headers);
    expect(details.status, details.text).to.equal(200);
    expect(details.body).to.deep.equal({ credentials: { password: 's3cret' } });
  });

  it('refuses keys, missing apps, other spaces, duplicates and unknown instances with Korifi errors', async () => {
    const app = await createApp(space.guid);
    const instance = await createInstance(space.guid);
    const key = await cf.post('/v3/service_credential_bindings', {
      type: 'key',
      name: 'k',
      relationships: { service_instance: { data: { guid: instance.guid } } },
    });
    expectCfError(
      key,
      cfError.unprocessable("Service credential bindings of type 'key' are not supported for user-provided service instances."),
    );
    expectCfError(await bind(instance.guid, undefined), cfError.unprocessable('relationships.app is required'));
    expectCfError(await bind('00000000-0000-4000-8000-000000000000', app.guid), cfError.notFound('Service Instance'));
    expectCfError(await bind(instance.guid, '00000000-0000-4000-8000-000000000000'), cfError.notFound('App'));
    const foreignApp = await createApp(otherSpace.guid);
    expectCfError(
      await bind(instance.guid, foreignApp.guid),
      cfError.unprocessable('The service instance and the app are in different spaces'),
    );
    expectCfError(await bind(instance.guid, app.guid, {}, reader), cfError.notAuthorized());
    await bound(instance.guid, app.guid);
    // Cloud Controller's text, which the cf CLI reads as "already bound" (Korifi's makes it fail).
    expectCfError(
      await bind(instance.guid, app.guid, { name: 'other' }),
      cfError.unprocessable('The app is already bound to the service instance'),
    );
    expect((await cf.post('/v3/service_credential_bindings', { type: 'app' })).status).to.equal(422);
  });

  it('lists with the filters and includes cf services and cf unbind-service send', async () => {
    const app = await createApp(space.guid);
    const other = await createApp(space.guid);
    const first = await createInstance(space.guid);
    const second = await createInstance(space.guid);
    const a = await bound(first.guid, app.guid, { name: 'named', metadata: { labels: { team: 'x' } } });
    const b = await bound(second.guid, other.guid);
    const list = async (query: string, as?: CfUser) => {
      const response = await cf.get(`/v3/service_credential_bindings${query}`, as?.headers);
      expect(response.status, response.text).to.equal(200);
      return response.body as BindingList;
    };
    const guids = (page: BindingList) => page.resources.map((binding) => binding.guid).sort();
    const withApps = await list(`?include=app&service_instance_guids=${first.guid},${second.guid}`);
    expect(guids(withApps)).to.deep.equal([a.guid, b.guid].sort());
    expect(withApps.included?.apps?.map((entry) => entry.guid).sort()).to.deep.equal([app.guid, other.guid].sort());
    const unbind = await list(`?app_guids=${app.guid}&service_instance_guids=${first.guid}&type=app`);
    expect(guids(unbind)).to.deep.equal([a.guid]);
    expect(guids(await list(`?names=named&app_guids=${app.guid}`))).to.deep.equal([a.guid]);
    expect(guids(await list(`?type=key&app_guids=${app.guid}`))).to.deep.equal([]);
    expect(guids(await list(`?label_selector=team=x&app_guids=${app.guid}`))).to.deep.equal([a.guid]);
    expect(guids(await list(`?guids=${b.guid}`))).to.deep.equal([b.guid]);
    const withInstances = await list(`?guids=${a.guid}&include=service_instance`);
    expect(withInstances.included?.service_instances?.map((entry) => entry.guid)).to.deep.equal([first.guid]);
    expect(guids(await list(`?guids=${a.guid},${b.guid}`, reader))).to.deep.equal([a.guid, b.guid].sort());
    expect((await cf.get('/v3/service_credential_bindings?include=space')).status).to.equal(422);
    const got = await cf.get(`/v3/service_credential_bindings/${a.guid}`, reader.headers);
    expect(got.status, got.text).to.equal(200);
    expect((got.body as Binding).name).to.equal('named');
  });

  it('updates metadata, and unbinds (204) removing it from VCAP_SERVICES; deleting the instance unbinds too', async () => {
    const app = await createApp(space.guid);
    const instance = await createInstance(space.guid, { credentials: { v: 1 } });
    const binding = await bound(instance.guid, app.guid, { name: 'my-binding' });
    const patched = await cf.patch(
      `/v3/service_credential_bindings/${binding.guid}`,
      { metadata: { labels: { a: 'b' } } },
      developer.headers,
    );
    expect(patched.status, patched.text).to.equal(200);
    expect((patched.body as Binding).metadata.labels).to.deep.equal({ a: 'b' });
    expectCfError(
      await cf.patch(`/v3/service_credential_bindings/${binding.guid}`, { metadata: {} }, reader.headers),
      cfError.notAuthorized(),
    );
    expect((await cf.patch(`/v3/service_credential_bindings/${binding.guid}`, { name: 'x' })).status).to.equal(422);
    // New credentials reach VCAP_SERVICES.
    expect((await cf.patch(`/v3/service_instances/${instance.guid}`, { credentials: { v: 2 } })).status).to.equal(200);
    const deadline = Date.now() + 20_000;
    let services = await vcapServicesOf(app.guid);
    while (JSON.stringify(services).includes('"v":1') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      services = await vcapServicesOf(app.guid);
    }
    expect(services['user-provided']?.[0]).to.deep.include({ name: 'my-binding', binding_name: 'my-binding', credentials: { v: 2 } });
    expectCfError(await cf.delete(`/v3/service_credential_bindings/${binding.guid}`, reader.headers), cfError.notAuthorized());
    const deleted = await cf.delete(`/v3/service_credential_bindings/${binding.guid}`, developer.headers);
    expect(deleted.status, deleted.text).to.equal(204);
    expect(await vcapServicesOf(app.guid)).to.deep.equal({});
    expectCfError(await cf.get(`/v3/service_credential_bindings/${binding.guid}`), cfError.notFound('Service Credential Binding'));
    expectCfError(await cf.get(`/v3/service_credential_bindings/${binding.guid}/details`), cfError.notFound('Service Credential Binding'));
    const again = await bound(instance.guid, app.guid);
    expect((await cf.delete(`/v3/service_instances/${instance.guid}`)).status).to.equal(204);
    expectCfError(await cf.get(`/v3/service_credential_bindings/${again.guid}`), cfError.notFound('Service Credential Binding'));
  });

  it("goes with its app, and an app's bindings are gone from the lists once the app is deleted", async () => {
    const app = await createApp(space.guid);
    const instance = await createInstance(space.guid);
    const binding = await bound(instance.guid, app.guid);
    const deleted = await cf.delete(`/v3/apps/${app.guid}`);
    expect(deleted.status, deleted.text).to.equal(202);
    const deadline = Date.now() + 60_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await cf.get(`/v3/service_credential_bindings/${binding.guid}`)).status;
    }
    expect(status).to.equal(404);
    expect((await cf.get(`/v3/service_instances/${instance.guid}`)).status).to.equal(200);
  });

  it('refuses a key without a name, and a binding whose credentials are not a JSON object answers 422 for its details', async () => {
    const instance = await createInstance(space.guid);
    const key = await cf.post('/v3/service_credential_bindings', {
      type: 'key',
      relationships: { service_instance: { data: { guid: instance.guid } } },
    });
    expectCfError(key, cfError.unprocessable('name is required'));
    const app = await createApp(space.guid);
    const binding = await bound(instance.guid, app.guid);
    await cf.server.store
      .privileged()
      .patch(
        { kind: 'Secret', namespace: space.guid, name: instance.guid },
        { data: { credentials: Buffer.from('[1]').toString('base64') } },
      );
    expectCfError(
      await cf.get(`/v3/service_credential_bindings/${binding.guid}/details`),
      cfError.unprocessable(`failed to decode credentials secret for service instance: ${instance.guid}`),
    );
    expectCfError(
      await cf.get(`/v3/service_instances/${instance.guid}/credentials`),
      cfError.unprocessable(`failed to decode credentials secret for service instance: ${instance.guid}`),
    );
  });

  it('goes with its space: deleting a space with a bound instance completes', async () => {
    const doomed = await cf.createSpace(org.guid);
    const app = await createApp(doomed.guid);
    const instance = await createInstance(doomed.guid);
    const binding = await bound(instance.guid, app.guid);
    const { job } = await cf.deleteAndWait(`/v3/spaces/${doomed.guid}`, 'space.delete', doomed.guid);
    expect(job.state).to.equal('COMPLETE');
    expect((await cf.get(`/v3/service_credential_bindings/${binding.guid}`)).status).to.equal(404);
    expect((await cf.get(`/v3/service_instances/${instance.guid}`)).status).to.equal(404);
  });
});
