import type { Metric, Registry } from 'prom-client';
import {
  Counter,
  Gauge,
  Histogram,
  toPromClientMetric,
  type CounterSeries,
  type HistogramSeries,
  type PrometheusCollector,
} from './instruments.ts';

/**
 * Where this process's reconcilers are: `off` (Korifi's controllers do the work), `starting` (not yet
 * started, or the first leader election not yet tried), `leader` (reconciling here) or `follower`
 * (another replica leads).
 */
export type ReconcilerState = 'off' | 'starting' | 'leader' | 'follower';

/** The store port's calls that are timed (the waits are not: they wait for controllers, not for the store). */
export type StoreVerb =
  'get' | 'list' | 'create' | 'createAll' | 'update' | 'patch' | 'updateStatus' | 'patchStatus' | 'delete' | 'watch' | 'canI';

/** What a reconciler's work queue reports: its depth, read when scraped, and each failed reconcile. */
export type QueueMetrics = {
  /** Reads `depth` at every scrape until the returned function is called (the queue stopped). */
  attach(depth: () => number): () => void;
  failed(): void;
};

/** Request latency buckets, seconds: from a cached read to a request that waited for the controllers. */
const requestBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Store call buckets, seconds: from the embedded store's in-memory reads to a slow apiserver. */
const storeBounds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The methods Node's HTTP parser accepts are a fixed set; anything else would still be one label. */
const methodLabels = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** One request's series, bound on first sight of its operation, method and status. */
type RequestSeries = { requests: CounterSeries; duration: HistogramSeries };

/**
 * The metrics of one server (its app, store and reconcilers): a registry of its own rather than
 * prom-client's global one, so that several servers in one process (the tests) count apart. The
 * process-wide metrics (CPU, memory, event loop, GC) are prom-client's default ones, collected once
 * per process. prom-client is loaded at the first scrape: a server nobody scrapes never loads it.
 */
export class Metrics {
  readonly #requests = new Counter({
    name: 'cfapi_http_requests_total',
    help: 'HTTP requests answered, by operationId (or api-docs, healthz, readyz, metrics, unmatched), method and status.',
    labelNames: ['operation', 'method', 'status'],
  });
  readonly #requestDuration = new Histogram({
    name: 'cfapi_http_request_duration_seconds',
    help: 'Time from a request reaching the server until its response is ready to be written, by operation, method and status.',
    labelNames: ['operation', 'method', 'status'],
    bounds: requestBounds,
  });
  /** By operation, method and status: strings the router and Node's parser keep, so their hashes are cached. */
  readonly #requestSeries = new Map<string, Map<string, Map<number, RequestSeries>>>();
  readonly #storeCalls = new Histogram({
    name: 'cfapi_store_call_duration_seconds',
    help: 'Store port calls until they answered or failed, by backend (embedded, kubernetes) and verb (the port method).',
    labelNames: ['backend', 'verb'],
    bounds: storeBounds,
  });
  readonly #reconcileErrors = new Counter({
    name: 'cfapi_reconcile_errors_total',
    help: 'Reconciles that failed (and are retried), by reconciler.',
    labelNames: ['reconciler'],
  });
  readonly #queues = new Map<string, Set<() => number>>();
  readonly #authCache = new Counter({
    name: 'cfapi_auth_cache_lookups_total',
    help: 'Authorization headers looked up in the authentication cache: hit (proved before, not checked again) or miss.',
    labelNames: ['result'],
  });
  #reconcilerState: () => ReconcilerState = () => 'off';
  #registry: Registry | undefined;

  /** The authentication cache's two series. */
  readonly authCache: { hit: CounterSeries; miss: CounterSeries } = {
    hit: this.#authCache.series('hit'),
    miss: this.#authCache.series('miss'),
  };

  /**
   * Counts one answered request. `operation` is the operationId, or a fixed name for what is not an
   * operation: never the path, so the number of series stays bounded.
   */
  observeRequest(operation: string, method: string, status: number, seconds: number): void {
    const series = this.#requestSeries.get(operation)?.get(method)?.get(status) ?? this.#bindRequestSeries(operation, method, status);
    series.requests.value += 1;
    series.duration.observe(seconds);
  }

  #bindRequestSeries(operation: string, method: string, status: number): RequestSeries {
    const labels = [operation, methodLabels.has(method) ? method : 'other', String(status)] as const;
    const series = { requests: this.#requests.series(...labels), duration: this.#requestDuration.series(...labels) };
    let byMethod = this.#requestSeries.get(operation);
    if (byMethod === undefined) this.#requestSeries.set(operation, (byMethod = new Map<string, Map<number, RequestSeries>>()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map<number, RequestSeries>()));
    byStatus.set(status, series);
    return series;
  }

  /** The latency series of one backend's calls of one verb; bind it once and observe seconds on it. */
  storeCallSeries(backend: 'embedded' | 'kubernetes', verb: StoreVerb): HistogramSeries {
    return this.#storeCalls.series(backend, verb);
  }

  /** What the work queue of the reconciler `name` reports to. */
  reconciler(name: string): QueueMetrics {
    const failures = this.#reconcileErrors.series(name);
    let depths = this.#queues.get(name);
    if (depths === undefined) {
      depths = new Set();
      this.#queues.set(name, depths);
    }
    const attached = depths;
    return {
      attach: (depth) => {
        attached.add(depth);
        return () => attached.delete(depth);
      },
      failed: () => failures.inc(),
    };
  }

  /** Where the reconcilers' state is read from (the backend tells, once it knows how they run). */
  reportReconcilerState(read: () => ReconcilerState): void {
    this.#reconcilerState = read;
  }

  get reconcilerState(): ReconcilerState {
    return this.#reconcilerState();
  }

  /** The Prometheus text exposition: the process's default metrics, then this server's. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    const promClient = await import('prom-client');
    this.#registry ??= this.#newRegistry(promClient.Registry);
    const processMetrics = await processRegistry(promClient);
    const [processText, serverText] = await Promise.all([processMetrics.metrics(), this.#registry.metrics()]);
    return { contentType: promClient.Registry.PROMETHEUS_CONTENT_TYPE, text: `${processText}\n${serverText}` };
  }

  #newRegistry(RegistryClass: typeof Registry): Registry {
    const registry = new RegistryClass();
    for (const collector of this.#collectors()) registry.registerMetric(toPromClientMetric(collector) as Metric);
    return registry;
  }

  #collectors(): PrometheusCollector[] {
    return [
      this.#requests,
      this.#requestDuration,
      this.#storeCalls,
      new Gauge({
        name: 'cfapi_reconciler_queue_depth',
        help: 'Keys waiting in a reconciler work queue (not counting those being reconciled or waiting for a retry), by reconciler.',
        read: () =>
          [...this.#queues].map(([name, depths]) => ({
            labels: { reconciler: name },
            value: [...depths].reduce((sum, depth) => sum + depth(), 0),
          })),
      }),
      this.#reconcileErrors,
      new Gauge({
        name: 'cfapi_reconciler_leader',
        help: 'Whether this replica runs the reconcilers: 1 leader, 0 follower; absent while they are off or starting.',
        read: () => {
          const state = this.#reconcilerState();
          if (state === 'leader') return [{ labels: {}, value: 1 }];
          if (state === 'follower') return [{ labels: {}, value: 0 }];
          return [];
        },
      }),
      this.#authCache,
    ];
  }
}

let processMetrics: Registry | undefined;

/** prom-client's default metrics, once per process (they describe the process, whichever server asks). */
async function processRegistry(promClient: typeof import('prom-client')): Promise<Registry> {
  if (processMetrics === undefined) {
    const registry = new promClient.Registry();
    promClient.collectDefaultMetrics({ register: registry });
    processMetrics = registry;
  }
  return Promise.resolve(processMetrics);
}
