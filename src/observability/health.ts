import type { Context } from 'koa';
import { unknownRequest } from '../errors/api-error.ts';
import type { Logger } from '../logger.ts';
import { isStoreError } from '../store/errors.ts';
import type { Store } from '../store/port.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Metrics, ReconcilerState } from './metrics.ts';

export const healthPath = '/healthz';
export const readinessPath = '/readyz';
export const metricsPath = '/metrics';

/** How long `/readyz` waits for the store: under the 3 s a probe should allow, so a slow store is a clear 503. */
export const storeCheckTimeoutMs = 2_000;

export type HealthOptions = {
  lifecycle: Lifecycle;
  metrics: Metrics;
  /** Whether `/metrics` is served (`metrics.enabled`); when not, it is CF's 404 like any unknown path. */
  metricsEnabled: boolean;
  store: Store;
  /** What the store check reads: the root namespace, which the server made at start. */
  rootNamespace: string;
  logger: Logger;
};

type CheckResult = { ok: true; detail?: string } | { ok: false; detail: string };

/**
 * `/healthz`, `/readyz` and `/metrics`: for the kubelet and Prometheus, so without authentication, and
 * not operations of the API (not in the OpenAPI document), like `/api-docs`. Wraps the route function
 * the edge calls, so correlation ids, errors and the request log apply; every other path goes on to
 * `route`. GET and HEAD only; any other method is CF's 404.
 *
 * - `/healthz`: the process answers (no store call), 200 `{"status":"ok"}`.
 * - `/readyz`: 200 when the server is not draining for shutdown, the store answers a cheap read in
 *   time, and the reconcilers are off or know whether they lead; else 503 naming what failed.
 * - `/metrics`: the Prometheus text exposition.
 */
export function withHealthEndpoints(route: (ctx: Context) => Promise<void>, options: HealthOptions): (ctx: Context) => Promise<void> {
  const checkStore = storeCheck(options);
  const serve = async (ctx: Context, path: string): Promise<void> => {
    ctx.state['endpoint'] = path.slice(1);
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw unknownRequest();
    ctx.set('Cache-Control', 'no-store');
    if (path === healthPath) {
      ctx.status = 200;
      ctx.body = { status: 'ok' };
    } else if (path === readinessPath) {
      await serveReadiness(ctx, options, checkStore);
    } else {
      if (!options.metricsEnabled) throw unknownRequest();
      const { contentType, text } = await options.metrics.exposition();
      ctx.status = 200;
      ctx.type = contentType;
      ctx.body = text;
    }
  };
  // Not an async function: every other request goes on to `route` without another promise to adopt.
  return (ctx) => {
    const path = ctx.path;
    if (path !== healthPath && path !== readinessPath && path !== metricsPath) return route(ctx);
    return serve(ctx, path);
  };
}

async function serveReadiness(ctx: Context, options: HealthOptions, checkStore: () => Promise<CheckResult>): Promise<void> {
  const reconcilers = reconcilerCheck(options.metrics.reconcilerState);
  // A draining server is not ready whatever the store says, and asks it nothing.
  const draining = options.lifecycle.draining;
  const store = draining ? undefined : await checkStore();
  const checks = {
    lifecycle: draining ? { ok: false, detail: 'draining for shutdown' } : { ok: true },
    ...(store ? { store } : {}),
    reconcilers,
  };
  const failed = Object.entries(checks)
    .filter(([, result]) => !result.ok)
    .map(([name]) => name);
  ctx.status = failed.length === 0 ? 200 : 503;
  ctx.body = { status: failed.length === 0 ? 'ready' : 'not ready', failed, checks };
}

function reconcilerCheck(state: ReconcilerState): CheckResult {
  if (state === 'starting') return { ok: false, detail: 'starting' };
  return { ok: true, detail: state };
}

/**
 * A real read of the store (the root namespace, as the server), bounded by `storeCheckTimeoutMs`;
 * concurrent probes share one read. The answer says the store did not answer and why in a word (the
 * probe is unauthenticated, so the error itself, which may name hosts, goes to the log only).
 */
function storeCheck(options: HealthOptions): () => Promise<CheckResult> {
  let inFlight: Promise<CheckResult> | undefined;
  const check = async (): Promise<CheckResult> => {
    const signal = AbortSignal.timeout(storeCheckTimeoutMs);
    const started = performance.now();
    try {
      await bounded(options.store.privileged().get({ kind: 'Namespace', name: options.rootNamespace }, { signal, readOnly: true }), signal);
      return { ok: true };
    } catch (error) {
      // The store answered: it is there, whatever it thinks of the namespace.
      if (isStoreError(error, 'NotFound')) return { ok: true };
      const reason = isStoreError(error) ? error.reason : signal.aborted ? 'Timeout' : 'Unavailable';
      const elapsedMs = Math.round(performance.now() - started);
      options.logger.warn({ err: error, reason, elapsedMs }, 'readiness: the store did not answer');
      return { ok: false, detail: reason === 'Timeout' ? `no answer within ${storeCheckTimeoutMs} ms` : reason };
    }
  };
  return () => {
    inFlight ??= check().finally(() => (inFlight = undefined));
    return inFlight;
  };
}

/** The call, or a Timeout rejection once `signal` aborts, whether or not the store gives up too. */
function bounded<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
