import { initialUserName } from '../auth/embedded/local-identity.ts';
import type { Authenticator } from '../auth/identity.ts';
import type { Config } from '../config/schema.ts';
import type { Store } from '../store/port.ts';
import { describePlatformChanges, ensurePlatform } from '../domain/platform/bootstrap.ts';
import type { Logger } from '../logger.ts';
import { Metrics, type ReconcilerState } from '../observability/metrics.ts';
import { timeStoreCalls } from '../observability/timed-store.ts';
import { reconcilerLeaseName, startAllReconcilers, startElectedReconcilers, type LeadingReconcilers } from '../reconcilers/index.ts';
import { RecentAppLogs } from '../app-runtime/app-logs.ts';
import type { AppRuntime } from '../app-runtime/app-runtime.ts';
import { LocalRuntime } from '../app-runtime/local/local-runtime.ts';
import { openAppRuntime } from '../app-runtime/open-app-runtime.ts';
import { startAppRouter } from '../router/app-router.ts';
import { watchRoutingTable } from '../router/store-routing-table.ts';
import type { BitsStore } from '../bits/bits-store.ts';
import { openBitsStore } from './open-bits-store.ts';
import { combinedLogSources, type LogSource } from '../log-cache/log-source.ts';
import { RuntimeLogSource } from '../log-cache/runtime-log-source.ts';

/** A storage backend with the authenticator that belongs to it, and a line that tells people how to log in. */
export type Backend = {
  /** Sets Korifi's webhook labels on every write (see korifi-labels/). */
  store: Store;
  authenticator: Authenticator;
  /** What to print at start: where the store is and how to log in. */
  describe: () => string;
  /** The cluster's log source (its pods' logs and metrics); none on the embedded backend. */
  logSource?: LogSource;
  close(): Promise<void>;
};

/** A backend ready to serve, with what its reconcilers run apps on. */
export type OpenBackend = Backend & {
  /** The recent lines apps, stagings and tasks wrote (empty where Korifi's controllers run them). */
  appLogs: RecentAppLogs;
  /**
   * What the log-cache API reads: the lines and usage of the runtime this process runs, and on a
   * cluster its pods' logs and metrics too.
   */
  logSource: LogSource;
  /** Where package bits are kept (files under the data directory, or the container registry). */
  bits: BitsStore;
  /**
   * Starts the reconcilers if `openBackend` was told to leave them for later (resolves once their
   * informers have listed and watch); otherwise they run already and this does nothing.
   */
  startReconcilers(): Promise<void>;
  /** This server's metrics: its store calls (the store above is timed into them) and reconcilers count here. */
  metrics: Metrics;
  /** Whether the reconcilers are off, starting, or running here as the leader or waiting as a follower. */
  reconcilerState(): ReconcilerState;
};

/** Lines kept per app for log-cache reads. */
const recentLinesPerApp = 1000;

/**
 * Opens the configured backend and makes it ready to serve: the platform objects the API relies on
 * (root namespace, default domain; on the embedded store also the CF ClusterRoles and a first admin)
 * and, when enabled, the in-process reconcilers: started before this resolves, or with `reconcilers:
 * 'later'` when the caller calls `startReconcilers` (the server does once it listens, so that its first
 * answer waits neither for their first lists nor for their first pass over every object).
 */
export async function openBackend(
  config: Config,
  logger: Logger,
  options: { reconcilers?: 'now' | 'later'; metrics?: Metrics } = {},
): Promise<OpenBackend> {
  const embedded = config.backend === 'embedded';
  // Each backend's modules load only when it is chosen: the Kubernetes client alone costs the embedded
  // server about a second of start-up and 90 MB of memory.
  const opened = embedded
    ? await (await import('./embedded-backend.ts')).openEmbeddedBackend(config)
    : await (await import('./kubernetes-backend.ts')).openKubernetesBackend(config, logger);
  const metrics = options.metrics ?? new Metrics();
  // Every user of the store (handlers, reconcilers, runtime, bits) goes through the timed one.
  const backend = { ...opened, store: timeStoreCalls(opened.store, config.backend, metrics) };
  let bits: BitsStore | undefined;
  let machine: RuntimeMachine | undefined;
  try {
    const platformOptions = {
      rootNamespace: config.rootNamespace,
      defaultDomain: config.defaultDomain,
      installClusterRoles: embedded,
      ...(embedded ? { initialAdmin: initialUserName } : {}),
    };
    const changes = await ensurePlatform(backend.store.privileged(), platformOptions);
    const packageBits = await openBitsStore(config, backend.store);
    bits = packageBits;
    const appLogs = new RecentAppLogs({ linesPerApp: recentLinesPerApp });
    machine = (config.reconcilers ?? embedded) ? await openRuntimeMachine(config, backend.store, appLogs, logger) : noRuntime;
    const { runtime } = machine;
    const logSource = logSourceOf(backend.logSource, new RuntimeLogSource(appLogs, runtime), runtime !== undefined);
    let reconcilers: LeadingReconcilers | undefined;
    let starting: Promise<void> | undefined;
    const start = (): Promise<void> =>
      (starting ??= runtime
        ? (embedded ? readInPieces(backend.store, logger) : Promise.resolve())
            .then(() => startReconcilers(backend.store, config, logger, { runtime, bits: packageBits, metrics }))
            .then((running) => {
              reconcilers = running;
            })
        : Promise.resolve());
    const reconcilerState = (): ReconcilerState => reconcilers?.role() ?? (runtime ? 'starting' : 'off');
    metrics.reportReconcilerState(reconcilerState);
    if (options.reconcilers !== 'later') await start();
    const reconcilerLine = runtime ? reconcilerDescription(config) : "off (Korifi's controllers are expected)";
    const platform = `${describePlatformChanges(changes, platformOptions)}\nReconcilers: ${reconcilerLine}${machine.description}\n`;
    const runtimeMachine = machine;
    return {
      ...backend,
      appLogs,
      logSource,
      bits: packageBits,
      describe: () => `${backend.describe()}${platform}`,
      startReconcilers: start,
      metrics,
      reconcilerState,
      close: async () => {
        await starting?.catch(() => undefined);
        await reconcilers?.stop();
        await runtimeMachine.close();
        await packageBits.close();
        await backend.close();
      },
    };
  } catch (error) {
    await machine?.close().catch(() => undefined);
    await bits?.close();
    await backend.close();
    throw error;
  }
}

/** The app runtime this process runs, with the local runtime's router; `description` adds to the start-up banner. */
type RuntimeMachine = { runtime: AppRuntime | undefined; description: string; close(): Promise<void> };

/** Where Korifi's controllers do the work: no runtime here. */
const noRuntime: RuntimeMachine = { runtime: undefined, description: '', close: () => Promise.resolve() };

async function openRuntimeMachine(config: Config, store: Store, appLogs: RecentAppLogs, logger: Logger): Promise<RuntimeMachine> {
  const runtime = await openAppRuntime(config.appRuntime, appLogs, config);
  const router =
    runtime instanceof LocalRuntime
      ? await startRouter(config, store, runtime, logger).catch(async (error: unknown) => {
          await runtime.close();
          throw error;
        })
      : undefined;
  const routerLine = router ? `\nRouter: apps answer at http://<app>.${config.defaultDomain}:${router.port}/ (${router.url})` : '';
  return {
    runtime,
    description: `\nApp runtime: ${runtime.description}${routerLine}`,
    close: async () => {
      await router?.close();
      await runtime.close();
    },
  };
}

/** The local runtime's router, fed by the store's routes and the runtime's running instances. */
async function startRouter(config: Config, store: Store, runtime: LocalRuntime, logger: Logger) {
  const table = await watchRoutingTable(store, logger);
  try {
    const router = await startAppRouter({
      listen: config.router,
      table,
      endpoints: (appGuid, processType) => runtime.endpoints(appGuid, processType),
      logger,
    });
    return {
      url: router.url,
      port: router.port,
      close: async () => {
        await router.close();
        table.close();
      },
    };
  } catch (error) {
    table.close();
    throw error;
  }
}

/** The cluster's log source and the runtime's, where there are. */
function logSourceOf(cluster: LogSource | undefined, runtimeLogs: LogSource, runtimeRuns: boolean): LogSource {
  if (cluster === undefined) return runtimeLogs;
  return runtimeRuns ? combinedLogSources([cluster, runtimeLogs]) : cluster;
}

/** The kinds whose every object the workload reconcilers' informers list when they start. */
const listedInFullAtStart = ['CFApp', 'CFProcess', 'CFBuild', 'CFPackage', 'CFTask'] as const;

/**
 * The embedded store keeps each object decoded after its first read, and the reconcilers' informers
 * start by listing every object of their kinds, each in one synchronous call: over 10,000 apps one
 * task of 0.3-2 s here (reading, parsing and freezing them), during which no request is answered.
 * Reading the same objects namespace by namespace first, with a turn of the event loop between
 * namespaces, does that work in pieces of a few milliseconds while requests are served; the informers'
 * lists then find the objects decoded (the 10,000 apps in 6-46 ms). A failure here is left to the
 * informers' own lists to report.
 */
async function readInPieces(store: Store, logger: Logger): Promise<void> {
  try {
    const session = store.privileged();
    const namespaces = await session.list('Namespace', { readOnly: true });
    for (const namespace of namespaces.items) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const kind of listedInFullAtStart) await session.list(kind, { namespace: namespace.metadata.name, readOnly: true });
    }
  } catch (error) {
    logger.debug({ err: error }, 'reading the workload objects before the reconcilers start failed');
  }
}

/**
 * The embedded store has one server process (its file lock), so it simply reconciles; on a cluster,
 * replicas elect one of them to do it.
 */
async function startReconcilers(
  store: Store,
  config: Config,
  logger: Logger,
  { runtime, bits, metrics }: { runtime: AppRuntime; bits: BitsStore; metrics: Metrics },
): Promise<LeadingReconcilers> {
  const options = { rootNamespace: config.rootNamespace, logger, runtime, bits, config, metrics };
  return config.backend === 'embedded' ? startAllReconcilers(store, options) : startElectedReconcilers(store, options);
}

function reconcilerDescription(config: Config): string {
  return config.backend === 'embedded'
    ? 'running in this process'
    : `running in this process while it leads (Lease ${reconcilerLeaseName} in ${config.rootNamespace})`;
}
