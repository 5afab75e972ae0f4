import { expect } from 'chai';
import { Histogram } from '../../../src/observability/instruments.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { timeStoreCalls } from '../../../src/observability/timed-store.ts';
import { WorkQueue } from '../../../src/reconcilers/work-queue.ts';
import { StoreError } from '../../../src/store/errors.ts';
import type { Store, StoreSession } from '../../../src/store/port.ts';
import { parseExposition, samplesOf, valueOf } from '../../http/observability/exposition.ts';

const exposition = async (metrics: Metrics) => parseExposition((await metrics.exposition()).text);

describe('observability: instruments', () => {
  it('a histogram puts each observation in the first bucket whose bound it does not exceed, and renders them cumulative', () => {
    const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['verb'], bounds: [0.1, 1, 10] });
    const series = histogram.series('get');
    for (const value of [0.05, 0.1, 0.5, 1, 5, 50]) series.observe(value);
    expect([...series.counts]).to.deep.equal([2, 2, 1, 1]);
    expect(series.count).to.equal(6);
    expect(series.sum).to.be.closeTo(56.65, 1e-9);
    const collected = histogram.collect();
    expect(collected.values.map((value) => [value.metricName, value.labels['le'], value.value])).to.deep.equal([
      ['h_seconds_bucket', 0.1, 2],
      ['h_seconds_bucket', 1, 4],
      ['h_seconds_bucket', 10, 5],
      ['h_seconds_bucket', '+Inf', 6],
      ['h_seconds_sum', undefined, series.sum],
      ['h_seconds_count', undefined, 6],
    ]);
    // The same label values are the same series.
    expect(histogram.series('get')).to.equal(series);
    expect(() => histogram.series()).to.throw('h_seconds takes 1 label values, not 0');
  });

  it('refuses bounds that do not increase', () => {
    expect(() => new Histogram({ name: 'bad', help: 'b', bounds: [1, 1] })).to.throw('bucket bounds must increase');
  });
});

describe('observability: Metrics', () => {
  it('renders through prom-client: types, request series bound once per operation, method and status', async () => {
    const metrics = new Metrics();
    metrics.observeRequest('getApp', 'GET', 200, 0.003);
    metrics.observeRequest('getApp', 'GET', 200, 0.2);
    metrics.observeRequest('unmatched', 'BREW', 404, 0.001);
    const parsed = await exposition(metrics);
    expect(parsed.types.get('cfapi_http_requests_total')).to.equal('counter');
    expect(valueOf(parsed, 'cfapi_http_requests_total', { operation: 'getApp', method: 'GET', status: '200' })).to.equal(2);
    expect(valueOf(parsed, 'cfapi_http_request_duration_seconds_bucket', { operation: 'getApp', le: '0.005' })).to.equal(1);
    expect(valueOf(parsed, 'cfapi_http_request_duration_seconds_bucket', { operation: 'getApp', le: '0.25' })).to.equal(2);
    // A method outside the usual few is one label, whatever it was.
    expect(valueOf(parsed, 'cfapi_http_requests_total', { operation: 'unmatched', method: 'other', status: '404' })).to.equal(1);
    // Process metrics come first, once per process, from prom-client's defaults.
    expect(samplesOf(parsed, 'process_resident_memory_bytes')).to.have.length(1);
  });

  it('reads queue depths and the leader state when scraped; the leader gauge is absent while reconcilers are off', async () => {
    const metrics = new Metrics();
    expect(samplesOf(await exposition(metrics), 'cfapi_reconciler_leader')).to.deep.equal([]);
    let state: 'leader' | 'follower' = 'follower';
    metrics.reportReconcilerState(() => state);
    expect(valueOf(await exposition(metrics), 'cfapi_reconciler_leader')).to.equal(0);
    state = 'leader';
    expect(valueOf(await exposition(metrics), 'cfapi_reconciler_leader')).to.equal(1);
    const reconciler = metrics.reconciler('CFApp');
    let depth = 3;
    const detach = reconciler.attach(() => depth);
    reconciler.attach(() => 2);
    expect(valueOf(await exposition(metrics), 'cfapi_reconciler_queue_depth', { reconciler: 'CFApp' })).to.equal(5);
    depth = 0;
    detach();
    expect(valueOf(await exposition(metrics), 'cfapi_reconciler_queue_depth', { reconciler: 'CFApp' })).to.equal(2);
  });
});

describe('observability: work queue metrics', () => {
  it('counts each failed reconcile and reports the keys waiting', async () => {
    const metrics = new Metrics();
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    const queue = new WorkQueue({
      concurrency: 1,
      baseRetryDelayMs: 60_000,
      reconcile: async (key) => {
        runs += 1;
        if (key === 'first') await blocked;
        if (key === 'fails') throw new Error('no');
        return undefined;
      },
      onError: () => undefined,
      metrics: metrics.reconciler('CFTask'),
    });
    queue.add('first');
    queue.add('fails');
    queue.add('third');
    // `first` runs; the other two wait.
    expect(queue.depth).to.equal(2);
    expect(valueOf(await exposition(metrics), 'cfapi_reconciler_queue_depth', { reconciler: 'CFTask' })).to.equal(2);
    release();
    while (runs < 3) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const after = await exposition(metrics);
    expect(valueOf(after, 'cfapi_reconcile_errors_total', { reconciler: 'CFTask' })).to.equal(1);
    expect(valueOf(after, 'cfapi_reconciler_queue_depth', { reconciler: 'CFTask' })).to.equal(0);
    await queue.stop();
  });
});

describe('observability: timed store', () => {
  /** A session whose calls answer after `delayMs`, or fail. */
  function fakeStore(delayMs: number): Store {
    const later = async <T>(value: () => T): Promise<T> => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return value();
    };
    const session = {
      get: () =>
        later(() => {
          throw new StoreError('NotFound', 'gone');
        }),
      list: () => later(() => ({ items: [], resourceVersion: '1' })),
      canI: () => later(() => true),
    } as unknown as StoreSession;
    const other = { ...session };
    return { as: () => other, privileged: () => session, close: () => Promise.resolve() };
  }

  it('times each call by backend and verb, failures too, and passes answers and errors through unchanged', async () => {
    const metrics = new Metrics();
    const store = timeStoreCalls(fakeStore(20), 'kubernetes', metrics);
    expect(await store.privileged().list('CFApp')).to.deep.equal({ items: [], resourceVersion: '1' });
    const failure = await store
      .privileged()
      .get({ kind: 'CFApp', namespace: 'n', name: 'x' })
      .catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(StoreError).with.property('reason', 'NotFound');
    expect(
      await store.as({ name: 'u', groups: [], credentials: { scheme: 'bearer', token: 't' } }).canI('get', { kind: 'CFApp' }),
    ).to.equal(true);
    const parsed = await exposition(metrics);
    for (const verb of ['list', 'get', 'canI']) {
      expect(valueOf(parsed, 'cfapi_store_call_duration_seconds_count', { backend: 'kubernetes', verb }), verb).to.equal(1);
      // At least the 20 ms the fake store took.
      expect(valueOf(parsed, 'cfapi_store_call_duration_seconds_sum', { backend: 'kubernetes', verb }), verb).to.be.at.least(0.015);
    }
  });
});
