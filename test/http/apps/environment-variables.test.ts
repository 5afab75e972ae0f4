import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { Space } from '../tenancy/resources.ts';

type App = components['schemas']['App'];
type EnvironmentVariables = components['schemas']['EnvironmentVariables'];

forEachBackend('app environment variables', (cf) => {
  let space: Space;
  let orgGuid: string;
  before(async () => {
    orgGuid = (await cf.createOrg()).guid;
    space = await cf.createSpace(orgGuid);
  });

  async function createApp(env: Record<string, string>): Promise<App> {
    const body = { name: uniqueName('env'), relationships: { space: { data: { guid: space.guid } } }, environment_variables: env };
    const response = await cf.post('/v3/apps', body);
    expect(response.status, response.text).to.equal(201);
    return response.body as App;
  }

  it('shows the variables the app was created with, with its links', async () => {
    const app = await createApp({ GREETING: 'hello', EMPTY: '' });
    const response = await cf.get(`/v3/apps/${app.guid}/environment_variables`);
    expect(response.status, response.text).to.equal(200);
    expect(response.body).to.deep.equal({
      var: { GREETING: 'hello', EMPTY: '' },
      links: { self: { href: cf.url(`/v3/apps/${app.guid}/environment_variables`) }, app: { href: cf.url(`/v3/apps/${app.guid}`) } },
    });
  });

  it('merges a change: text sets, null removes, other JSON values are kept as their JSON text', async () => {
    const app = await createApp({ KEEP: 'me', DROP: 'me' });
    const response = await cf.patch(`/v3/apps/${app.guid}/environment_variables`, {
      var: { DROP: null, ADDED: 'new', FLAG: true, PORTS: 8080 },
    });
    expect(response.status, response.text).to.equal(200);
    expect((response.body as EnvironmentVariables).var).to.deep.equal({ KEEP: 'me', ADDED: 'new', FLAG: 'true', PORTS: '8080' });
    const read = await cf.get(`/v3/apps/${app.guid}/environment_variables`);
    expect((read.body as EnvironmentVariables).var).to.deep.equal({ KEEP: 'me', ADDED: 'new', FLAG: 'true', PORTS: '8080' });
  });

  it('keeps every variable of concurrent changes to different names (cf set-env from several terminals)', async () => {
    const app = await createApp({ BASE: 'kept' });
    const names = Array.from({ length: 12 }, (_, index) => `VAR_${index}`);
    const responses = await Promise.all(
      names.map((name) => cf.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { [name]: name.toLowerCase() } })),
    );
    for (const response of responses) expect(response.status, response.text).to.equal(200);
    const read = await cf.get(`/v3/apps/${app.guid}/environment_variables`);
    expect((read.body as EnvironmentVariables).var).to.deep.equal({
      BASE: 'kept',
      ...Object.fromEntries(names.map((name) => [name, name.toLowerCase()])),
    });
  });

  it('lets a space developer read and change them; a space auditor neither (403); an outsider gets 404', async () => {
    const app = await createApp({ SECRET: 'x' });
    const developer = await cf.newUser('developer');
    const auditor = await cf.newUser('auditor');
    for (const [user, role] of [
      [developer, 'space_developer'],
      [auditor, 'space_auditor'],
    ] as const) {
      await cf.grant(user.name, 'organization_user', { organization: orgGuid });
      await cf.grant(user.name, role, { space: space.guid });
    }
    expect((await cf.get(`/v3/apps/${app.guid}/environment_variables`, developer.headers)).status).to.equal(200);
    const changed = await cf.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { SECRET: 'y' } }, developer.headers);
    expect(changed.status, changed.text).to.equal(200);
    expectCfError(await cf.get(`/v3/apps/${app.guid}/environment_variables`, auditor.headers), cfError.notAuthorized());
    expectCfError(
      await cf.patch(`/v3/apps/${app.guid}/environment_variables`, { var: { A: 'b' } }, auditor.headers),
      cfError.notAuthorized(),
    );
    const outsider = await cf.newUser('outsider');
    expectCfError(await cf.get(`/v3/apps/${app.guid}/environment_variables`, outsider.headers), cfError.notFound('App'));
  });

  it('refuses reserved names and an empty change', async () => {
    const app = await createApp({});
    for (const change of [{ VCAP_SERVICES: 'x' }, { PORT: '1' }, {}]) {
      const response = await cf.patch(`/v3/apps/${app.guid}/environment_variables`, { var: change });
      expect(response.status, `${JSON.stringify(change)}: ${response.text}`).to.be.oneOf([400, 422]);
    }
  });
});
