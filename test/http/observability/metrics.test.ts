import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { authHeaders, startTestServer, type TestServer } from '../../support/test-server.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import { samplesOf, scrape, valueOf } from './exposition.ts';

const requests = 'cfapi_http_requests_total';
const requestDuration = 'cfapi_http_request_duration_seconds';

forEachBackend('metrics', (cf, backend) => {
  it('serve the text exposition without credentials: process metrics and ours, each with its type', async () => {
    const metrics = await scrape(cf.server.url);
    expect(metrics.types.get('process_cpu_user_seconds_total')).to.equal('counter');
    expect(metrics.types.get('nodejs_eventloop_lag_seconds')).to.equal('gauge');
    expect(metrics.types.get(requests)).to.equal('counter');
    expect(metrics.types.get(requestDuration)).to.equal('histogram');
    expect(metrics.types.get('cfapi_store_call_duration_seconds')).to.equal('histogram');
    expect(metrics.types.get('cfapi_reconciler_queue_depth')).to.equal('gauge');
    expect(metrics.types.get('cfapi_reconcile_errors_total')).to.equal('counter');
    expect(metrics.types.get('cfapi_reconciler_leader')).to.equal('gauge');
    expect(metrics.types.get('cfapi_auth_cache_lookups_total')).to.equal('counter');
  });

  it('count requests by operationId, method and status, with their latency', async () => {
    const labels = { operation: 'listOrganizations', method: 'GET', status: '200' };
    const before = await scrape(cf.server.url);
    for (let i = 0; i < 3; i += 1) expect((await cf.get('/v3/organizations')).status).to.equal(200);
    const missing = `/v3/apps/${randomUUID()}`;
    expect((await cf.get(missing)).status).to.equal(404);
    const after = await scrape(cf.server.url);
    expect(valueOf(after, requests, labels) - valueOf(before, requests, labels)).to.equal(3);
    expect(valueOf(after, `${requestDuration}_count`, labels) - valueOf(before, `${requestDuration}_count`, labels)).to.equal(3);
    expect(valueOf(after, `${requestDuration}_sum`, labels)).to.be.greaterThan(valueOf(before, `${requestDuration}_sum`, labels));
    // The buckets are cumulative and end with +Inf = count.
    const buckets = samplesOf(after, `${requestDuration}_bucket`, labels);
    expect(buckets.at(-1)?.labels['le']).to.equal('+Inf');
    expect(buckets.at(-1)?.value).to.equal(valueOf(after, `${requestDuration}_count`, labels));
    buckets.slice(1).forEach((bucket, index) => expect(bucket.value).to.be.at.least(buckets[index]!.value));
    // An unknown app is still its operation, with the status it got; the GUID appears nowhere.
    expect(valueOf(after, requests, { operation: 'getApp', method: 'GET', status: '404' })).to.be.at.least(1);
    expect(after.text).not.to.include(missing);
  });

  it('name what is not an operation by a fixed label, never by its path', async () => {
    const unknown = `/no-such-place/${randomUUID()}`;
    expect((await fetch(`${cf.server.url}${unknown}`)).status).to.equal(404);
    expect((await fetch(`${cf.server.url}/healthz`)).status).to.equal(200);
    expect((await fetch(`${cf.server.url}/api-docs/nothing-here`)).status).to.equal(404);
    const metrics = await scrape(cf.server.url);
    expect(valueOf(metrics, requests, { operation: 'unmatched', method: 'GET', status: '404' })).to.be.at.least(1);
    expect(valueOf(metrics, requests, { operation: 'healthz', method: 'GET', status: '200' })).to.be.at.least(1);
    expect(valueOf(metrics, requests, { operation: 'api-docs', method: 'GET', status: '404' })).to.be.at.least(1);
    // The previous scrape counted as `metrics`.
    expect(valueOf(metrics, requests, { operation: 'metrics', method: 'GET', status: '200' })).to.be.at.least(1);
    expect(metrics.text).not.to.include('no-such-place');
  });

  it(`time store calls by backend (${backend}) and verb`, async () => {
    const before = await scrape(cf.server.url);
    const org = await cf.createOrg();
    const after = await scrape(cf.server.url);
    const count = (verb: string, from = after) => valueOf(from, 'cfapi_store_call_duration_seconds_count', { backend, verb });
    expect(count('create') - count('create', before), 'creates').to.be.at.least(1);
    expect(count('get') - count('get', before), 'gets').to.be.at.least(1);
    expect(count('list'), 'lists').to.be.at.least(1);
    expect(valueOf(after, 'cfapi_store_call_duration_seconds_sum', { backend, verb: 'create' })).to.be.greaterThan(0);
    // Only this backend's series.
    const other = backend === 'embedded' ? 'kubernetes' : 'embedded';
    expect(samplesOf(after, 'cfapi_store_call_duration_seconds_count', { backend: other })).to.deep.equal([]);
    expect(org.guid).to.be.a('string');
  });

  it('show this replica leading the reconcilers and their queues by reconciler', async () => {
    const metrics = await scrape(cf.server.url);
    expect(valueOf(metrics, 'cfapi_reconciler_leader')).to.equal(1);
    const reconcilers = samplesOf(metrics, 'cfapi_reconciler_queue_depth').map((sample) => sample.labels['reconciler']);
    expect(reconcilers).to.include.members(['tenancy', 'CFApp', 'CFPackage', 'CFBuild', 'CFProcess', 'CFTask', 'CFRoute']);
    for (const sample of samplesOf(metrics, 'cfapi_reconciler_queue_depth')) expect(sample.value).to.be.at.least(0);
  });

  it('count authentication cache lookups: a new user’s first request misses, the same header then hits', async () => {
    const user = await cf.server.newUser(uniqueName('metrics-user'));
    const headers = authHeaders.forUser(user);
    const before = await scrape(cf.server.url);
    expect((await cf.get('/v3/organizations', headers)).status).to.equal(200);
    const between = await scrape(cf.server.url);
    expect((await cf.get('/v3/organizations', headers)).status).to.equal(200);
    expect((await cf.get('/v3/organizations', headers)).status).to.equal(200);
    const after = await scrape(cf.server.url);
    const lookups = (result: string, from: typeof after) => valueOf(from, 'cfapi_auth_cache_lookups_total', { result });
    expect(lookups('miss', between) - lookups('miss', before)).to.equal(1);
    expect(lookups('hit', between) - lookups('hit', before)).to.equal(0);
    expect(lookups('hit', after) - lookups('hit', between)).to.equal(2);
    expect(lookups('miss', after) - lookups('miss', between)).to.equal(0);
  });
});

describe('metrics of two servers in one process', function () {
  this.timeout(30_000);
  let first: TestServer;
  let second: TestServer;
  before(async () => {
    first = await startTestServer({ backend: 'embedded' });
    second = await startTestServer({ backend: 'embedded', config: { metrics: { enabled: false } } });
  });
  after(async () => {
    await first.stop();
    await second.stop();
  });

  it('count apart, and metrics.enabled: false makes /metrics an unknown request', async () => {
    const labels = { operation: 'getInfo', method: 'GET', status: '200' };
    const before = await scrape(first.url);
    expect((await second.request('/v3/info')).status).to.equal(200);
    expect((await second.request('/v3/info')).status).to.equal(200);
    expect((await first.request('/v3/info')).status).to.equal(200);
    const after = await scrape(first.url);
    expect(valueOf(after, requests, labels) - valueOf(before, requests, labels)).to.equal(1);
    const disabled = await fetch(`${second.url}/metrics`);
    expect(disabled.status).to.equal(404);
    expect(await disabled.json()).to.deep.equal({ errors: [{ code: 10000, title: 'CF-NotFound', detail: 'Unknown request' }] });
  });
});

describe('metrics of a follower replica (kubernetes)', function () {
  this.timeout(120_000);
  let leader: TestServer;
  let follower: TestServer;
  before(async () => {
    leader = await startTestServer({ backend: 'kubernetes' });
    // The same platform (root namespace): the lease is held, so this replica follows.
    follower = await startTestServer({ backend: 'kubernetes', config: { rootNamespace: leader.config.rootNamespace } });
  });
  after(async () => {
    await follower?.stop();
    await leader?.stop();
  });

  it('shows the leader gauge at 1 on the leader and 0 on the follower, and both ready', async () => {
    expect(valueOf(await scrape(leader.url), 'cfapi_reconciler_leader')).to.equal(1);
    const followerMetrics = await scrape(follower.url);
    expect(samplesOf(followerMetrics, 'cfapi_reconciler_leader').map((sample) => sample.value)).to.deep.equal([0]);
    // A follower runs no reconciler, so it has no queues.
    expect(samplesOf(followerMetrics, 'cfapi_reconciler_queue_depth')).to.deep.equal([]);
    const readiness = await fetch(`${follower.url}/readyz`);
    expect(readiness.status).to.equal(200);
    expect(((await readiness.json()) as { checks: unknown }).checks).to.deep.include({ reconcilers: { ok: true, detail: 'follower' } });
  });
});
