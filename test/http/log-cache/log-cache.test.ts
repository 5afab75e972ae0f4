import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { eventually } from '../../store/fixture.ts';
import { createApp, setEnvironment, stagedDroplet, type App } from '../builds/support.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import type { CfClient } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { Space } from '../tenancy/resources.ts';

type Envelope = components['schemas']['LogEnvelope'];
type Batch = components['schemas']['LogEnvelopeBatch'];

const unknownGuid = '00000000-0000-4000-8000-000000000000';
/** What `cf logs --recent` asks (cf-cli.md §3.17): Go's zero time, newest first, up to 1000 lines. */
const recentQuery = 'descending=true&envelope_types=LOG&limit=1000&start_time=-6795364578871345152';

/** The app's envelopes; LOG only unless the query names types (log-cache's default is every type). */
async function read(cf: CfClient, appGuid: string, query = '', as?: Record<string, string>): Promise<Envelope[]> {
  const types = query.includes('envelope_types=') ? '' : 'envelope_types=LOG';
  const search = [query, types].filter((part) => part !== '').join('&');
  const response = await cf.get(`/api/v1/read/${appGuid}?${search}`, as);
  expect(response.status, response.text).to.equal(200);
  return (response.body as Batch).envelopes.batch;
}

const text = (envelope: Envelope) => Buffer.from(envelope.log?.payload ?? '', 'base64').toString();
const sourceTypes = (envelopes: Envelope[]) => envelopes.map((envelope) => envelope.tags['source_type']);

forEachBackend(
  'log-cache read',
  (cf) => {
    let space: Space;
    let developer: CfUser;
    let outsider: CfUser;
    /** A staged app, started: staging lines, then its web instance's. */
    let app: App;
    before(async () => {
      const org = await cf.createOrg();
      space = await cf.createSpace(org.guid);
      developer = await cf.newUser('developer');
      outsider = await cf.newUser('outsider');
      await cf.grant(developer.name, 'organization_user', { organization: org.guid });
      await cf.grant(developer.name, 'space_developer', { space: space.guid });
      ({ app } = await stagedDroplet(cf, space.guid));
      const droplet = await cf.get(`/v3/apps/${app.guid}/droplets?per_page=1`);
      const dropletGuid = (droplet.body as { resources: { guid: string }[] }).resources[0]!.guid;
      const assigned = await cf.patch(`/v3/apps/${app.guid}/relationships/current_droplet`, { data: { guid: dropletGuid } });
      expect(assigned.status, assigned.text).to.equal(200);
      const started = await cf.post(`/v3/apps/${app.guid}/actions/start`, undefined);
      expect(started.status, started.text).to.equal(200);
      await eventually(async () => expect(sourceTypes(await read(cf, app.guid))).to.include('APP/PROC/WEB'));
    });

    it('answers an app without logs, as `cf logs --recent` asks, with an empty batch (not Korifi’s 404 for an app without a build)', async () => {
      const fresh = await createApp(cf, space.guid);
      const response = await cf.get(`/api/v1/read/${fresh.guid}?${recentQuery}`);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.equal({ envelopes: { batch: [] } });
    });

    it('serves staging and instance lines as protojson envelopes, oldest first', async () => {
      const envelopes = await read(cf, app.guid);
      expect(sourceTypes(envelopes)).to.deep.equal(['STG', 'STG', 'APP/PROC/WEB']);
      expect(text(envelopes[0]!)).to.match(/^Scripted staging of build [0-9a-f-]+ \(docker\)$/);
      expect(text(envelopes[1]!)).to.equal('Staging complete');
      expect(text(envelopes[2]!)).to.equal('Starting instance 0: scripted-web');
      const timestamps = envelopes.map((envelope) => BigInt(envelope.timestamp));
      expect([...timestamps].sort((a, b) => (a < b ? -1 : 1))).to.deep.equal(timestamps);
      expect(new Set(timestamps).size, 'timestamps are unique').to.equal(3);
      const now = BigInt(Date.now()) * 1_000_000n;
      expect(Number((now - timestamps[0]!) / 1_000_000_000n)).to.be.within(0, 120);
      const web = (await cf.get(`/v3/apps/${app.guid}/processes/web`)).body as { guid: string };
      expect(envelopes[2]).to.deep.equal({
        timestamp: String(timestamps[2]),
        source_id: app.guid,
        instance_id: '0',
        deprecated_tags: {},
        tags: {
          source_type: 'APP/PROC/WEB',
          app_id: app.guid,
          app_name: app.name,
          space_id: space.guid,
          process_id: web.guid,
          process_type: 'web',
        },
        log: { payload: Buffer.from('Starting instance 0: scripted-web').toString('base64'), type: 'OUT' },
      });
      expect(envelopes[0]!.tags).to.deep.equal({ source_type: 'STG', app_id: app.guid, app_name: app.name, space_id: space.guid });
    });

    it('keeps log-cache’s limit, descending, start_time (inclusive) and end_time (exclusive)', async () => {
      const all = await read(cf, app.guid);
      const [first, second, third] = all.map((envelope) => envelope.timestamp);
      expect((await read(cf, app.guid, recentQuery)).map((envelope) => envelope.timestamp)).to.deep.equal([third, second, first]);
      expect((await read(cf, app.guid, 'limit=1')).map((envelope) => envelope.timestamp)).to.deep.equal([first]);
      expect((await read(cf, app.guid, 'limit=1&descending=true')).map((envelope) => envelope.timestamp)).to.deep.equal([third]);
      expect((await read(cf, app.guid, `start_time=${second}`)).map((envelope) => envelope.timestamp)).to.deep.equal([second, third]);
      expect((await read(cf, app.guid, `start_time=${BigInt(second!) + 1n}`)).map((envelope) => envelope.timestamp)).to.deep.equal([third]);
      expect((await read(cf, app.guid, `end_time=${second}`)).map((envelope) => envelope.timestamp)).to.deep.equal([first]);
      expect(await read(cf, app.guid, `start_time=${third}&end_time=${third}`)).to.deep.equal([]);
      // The cf CLI's walk: from a timestamp on, repeatedly.
      expect((await read(cf, app.guid, `start_time=${BigInt(third!) + 1n}&envelope_types=LOG`)).length).to.equal(0);
    });

    it('gives GAUGE envelopes of each running instance’s usage, and none of the types apps do not have', async () => {
      const gauges = await read(cf, app.guid, 'envelope_types=GAUGE');
      expect(gauges).to.have.length(1);
      const web = (await cf.get(`/v3/apps/${app.guid}/processes/web`)).body as { guid: string };
      expect(gauges[0]).to.deep.include({ source_id: app.guid, instance_id: '0' });
      expect(gauges[0]!.tags).to.deep.equal({
        app_id: app.guid,
        app_name: app.name,
        instance_id: '0',
        process_type: 'web',
        process_id: web.guid,
        source_id: app.guid,
        space_id: space.guid,
      });
      expect(gauges[0]!.gauge?.metrics).to.deep.equal({
        cpu: { unit: 'percentage', value: 1 },
        memory: { unit: 'bytes', value: 32 * 1024 * 1024 },
        disk: { unit: 'bytes', value: 64 * 1024 * 1024 },
        memory_quota: { unit: 'bytes', value: 1024 * 1024 * 1024 },
        disk_quota: { unit: 'bytes', value: 1024 * 1024 * 1024 },
      });
      expect(await read(cf, app.guid, 'envelope_types=COUNTER&envelope_types=TIMER&envelope_types=EVENT')).to.deep.equal([]);
      const both = await read(cf, app.guid, 'envelope_types=LOG&envelope_types=GAUGE');
      expect(both.filter((envelope) => envelope.gauge !== undefined)).to.have.length(1);
      expect(both.filter((envelope) => envelope.log !== undefined)).to.have.length(3);
      expect(await read(cf, app.guid, 'envelope_types=ANY')).to.have.length(4);
      const everyType = await cf.get(`/api/v1/read/${app.guid}`);
      expect((everyType.body as Batch).envelopes.batch, everyType.text).to.have.length(4);
    });

    it('marks what a failed staging wrote to stderr as ERR', async () => {
      const failing = await createApp(cf, space.guid, { lifecycle: { type: 'docker', data: {} } });
      await setEnvironment(cf, failing.guid, { SCRIPTED_STAGING: 'fail:no start command' });
      const build = await cf.post('/v3/builds', { package: { guid: await dockerPackage(cf, failing) } });
      expect(build.status, build.text).to.equal(201);
      const envelopes = await eventually(async () => {
        const lines = await read(cf, failing.guid);
        expect(lines).to.have.length(2);
        return lines;
      });
      expect(envelopes.map((envelope) => [envelope.log?.type, text(envelope)])).to.deep.equal([
        ['OUT', envelopes[0] && text(envelopes[0])],
        ['ERR', 'Staging failed: no start command'],
      ]);
    });

    it('lets whoever sees the app read its logs, and nobody else (404, as log-cache and Korifi)', async () => {
      expect(sourceTypes(await read(cf, app.guid, '', developer.headers))).to.deep.equal(['STG', 'STG', 'APP/PROC/WEB']);
      expectCfError(await cf.get(`/api/v1/read/${app.guid}`, outsider.headers), cfError.notFound('App'));
      expectCfError(await cf.get(`/api/v1/read/${unknownGuid}`), cfError.notFound('App'));
      expectCfError(await cf.get(`/api/v1/read/${app.guid}`, {}), cfError.notAuthenticated());
    });

    it('answers bad query values as log-cache does, with a 400 (a CF error naming them), never a 422', async () => {
      for (const [query, detail] of [
        ['limit=0', 'limit must be greater than or equal to 1'],
        ['limit=1001', 'limit must be less than or equal to 1000'],
        ['limit=ten', 'limit must be an integer'],
        ['start_time=yesterday', 'start_time has an invalid format'],
        ['start_time=12345678901234567890', 'start_time has an invalid format'],
        ['end_time=1.5', 'end_time has an invalid format'],
        ['envelope_types=LOGS', 'envelope_types[0] value must be one of'],
        ['descending=yes', 'descending must be a boolean'],
      ]) {
        const response = await cf.get(`/api/v1/read/${app.guid}?${query}`);
        expect(response.status, `${query}: ${response.text}`).to.equal(400);
        const [error] = (response.body as { errors: { code: number; title: string; detail: string }[] }).errors;
        expect(error, query).to.deep.include({ code: 10005, title: 'CF-BadQueryParameter' });
        expect(error!.detail, query)
          .to.match(/^The query parameter is invalid: /)
          .and.to.contain(detail);
      }
      expectCfError(await cf.get(`/api/v1/read/${app.guid}?start_time=9223372036854775808`), {
        status: 400,
        code: 10005,
        title: 'CF-BadQueryParameter',
        detail: 'The query parameter is invalid: start_time must be a 64-bit integer of nanoseconds since the Unix epoch',
      });
      const unknownKey = await cf.get(`/api/v1/read/${app.guid}?name_filter=cpu`);
      expect(unknownKey.status, unknownKey.text).to.equal(400);
      expect((unknownKey.body as { errors: { title: string }[] }).errors[0]!.title).to.equal('CF-BadQueryParameter');
    });
  },
  { config: { appRuntime: 'scripted' } },
);

/** A docker package of the app, through the API (the package controller makes it READY). */
async function dockerPackage(cf: CfClient, app: App): Promise<string> {
  const response = await cf.post('/v3/packages', {
    type: 'docker',
    data: { image: 'registry.example.test/app:latest' },
    relationships: { app: { data: { guid: app.guid } } },
  });
  expect(response.status, response.text).to.equal(201);
  const guid = (response.body as { guid: string }).guid;
  await eventually(async () => expect(((await cf.get(`/v3/packages/${guid}`)).body as { state: string }).state).to.equal('READY'));
  return guid;
}
