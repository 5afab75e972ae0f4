import type { components } from '../../../generated/openapi-types.ts';
import { unprocessableEntity } from '../../errors/api-error.ts';
import { instancesRefusal } from '../processes/instance-limit.ts';

export type Manifest = components['schemas']['Manifest'];
export type ManifestApplication = components['schemas']['ManifestApplication'];
type ManifestProcess = components['schemas']['ManifestProcess'];

/** What a manifest sets on one process type; absent fields are left as they are. */
export type ProcessSettings = {
  type: string;
  command?: string | null;
  instances?: number;
  memoryMB?: number;
  diskMB?: number;
  healthCheckType?: 'process' | 'port' | 'http';
  healthCheckEndpoint?: string;
  healthCheckInvocationTimeout?: number;
  timeout?: number;
};

export type ManifestRoute = { route: string; host: string; domain: string; path: string };
export type ManifestService = { name: string; bindingName?: string; parameters?: Record<string, unknown> };

/** One app of a manifest after Korifi's checks and normalisation. */
export type NormalizedApp = {
  name: string;
  env?: Record<string, string>;
  lifecycle?: { type: 'buildpack'; buildpacks?: string[]; stack?: string } | { type: 'docker'; image: string };
  metadata?: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> };
  /** Every process the manifest names, `web` first and always there (app-level settings folded into it). */
  processes: ProcessSettings[];
  /** The manifest's routes; undefined when it has no `routes` key. */
  routes?: ManifestRoute[];
  defaultRoute: boolean;
  randomRoute: boolean;
  noRoute: boolean;
  services: ManifestService[];
};

const megabyte = 1024 * 1024;
const unitBytes: Record<string, number> = { B: 1, K: 1024, M: megabyte, G: 1024 * megabyte, T: 1024 * 1024 * megabyte };
const quantityPattern = /^(\d+(?:\.\d+)?)(B|K|KB|M|m|MB|mb|G|g|GB|gb|T|t|TB|tb)$/;

/** An amount with a unit in whole megabytes, rounded down (as Korifi's bytefmt reads it); undefined when malformed. */
export function megabytesOf(quantity: string): number | undefined {
  const match = quantityPattern.exec(quantity);
  if (!match) return undefined;
  const bytes = Number(match[1]) * unitBytes[match[2]!.charAt(0).toUpperCase()]!;
  return Math.floor(bytes / megabyte);
}

/** Korifi's route rule for a manifest's `routes[].route`: a host and domain, an optional port and path. */
const routePattern = /^(?:https?:\/\/)?(?:[a-z0-9*](?:[-a-z0-9]*[a-z0-9])?\.)+[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?::\d+)?(?:\/.*)?$/i;

/** Splits `host.domain/path` as Korifi does: the host is everything before the first dot. */
export function splitRoute(route: string): { host: string; domain: string; path: string } {
  const withoutScheme = route.replace(/^https?:\/\//i, '');
  const dot = withoutScheme.indexOf('.');
  const host = withoutScheme.slice(0, dot);
  const rest = withoutScheme.slice(dot + 1);
  const slash = rest.indexOf('/');
  const domainAndPort = slash < 0 ? rest : rest.slice(0, slash);
  return { host, domain: domainAndPort.replace(/:\d+$/, ''), path: slash < 0 ? '' : rest.slice(slash) };
}

/** Bounds of this server's own on what a manifest may ask for. */
export type ManifestLimits = {
  /** The most instances a process may want (`limits.instancesPerProcess`); unbounded when absent. */
  instancesPerProcess?: number;
};

/**
 * Checks every app of the manifest with Korifi's rules and texts (the document has checked the types,
 * units and ranges) and the server's limits, then normalises each: app-level process settings go to
 * `web`, which is always there. Throws the first app's failures as one 422, before anything is written.
 */
export function normalizeManifest(manifest: Manifest, limits: ManifestLimits = {}): NormalizedApp[] {
  const applications = manifest.applications ?? [];
  const failures = applications.flatMap((app, index) => [
    ...failuresOf(app, `applications[${index}]`),
    ...limitFailures(app, `applications[${index}]`, limits),
  ]);
  if (failures.length > 0) throw unprocessableEntity([...new Set(failures)].sort().join(', '));
  const names = new Set<string>();
  for (const app of applications) {
    if (names.has(app.name)) throw unprocessableEntity(`Application '${app.name}' is listed more than once in the manifest.`);
    names.add(app.name);
  }
  return applications.map(normalizeApp);
}

function failuresOf(app: ManifestApplication, at: string): string[] {
  const failures: string[] = [];
  if (app['default-route'] === true && app['random-route'] === true) {
    failures.push(`${at}.default-route and random-route may not be used together`);
  }
  if (app.docker !== undefined && hasBuildpacks(app)) failures.push(`${at}.docker must be blank when buildpacks are specified`);
  failures.push(...amountFailures(app, at));
  (app.processes ?? []).forEach((process, index) => failures.push(...amountFailures(process, `${at}.processes[${index}]`)));
  failures.push(...processTypeFailures(app, at));
  const repeatedType = firstRepeated((app.processes ?? []).map((process) => process.type));
  if (repeatedType !== undefined) failures.push(`${at}.processes has the process type '${repeatedType}' more than once`);
  failures.push(...routeFailures(app, at));
  const repeatedService = firstRepeated((app.services ?? []).map((service) => (typeof service === 'string' ? service : service.name)));
  if (repeatedService !== undefined) failures.push(`${at}.services names '${repeatedService}' more than once`);
  return failures;
}

/** A process type names the CFProcess in a label value: letters, digits, `-`, `_` and `.`, at most 63, alphanumeric at both ends. */
const processTypePattern = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function processTypeFailures(app: ManifestApplication, at: string): string[] {
  return (app.processes ?? []).flatMap((process, index) =>
    processTypePattern.test(process.type)
      ? []
      : [
          `${at}.processes[${index}].type must be at most 63 letters, digits, dashes, underscores or dots, starting and ending with a letter or digit`,
        ],
  );
}

/** Routes as the route writes take them: a valid `host.domain[/path]`, no per-route options, HTTP/1 only. */
function routeFailures(app: ManifestApplication, at: string): string[] {
  return (app.routes ?? []).flatMap((route, index) => {
    const failures: string[] = [];
    if (!routePattern.test(route.route)) failures.push(`${at}.routes[${index}].route is not a valid route`);
    if (route.options !== undefined && Object.keys(route.options).length > 0)
      failures.push(`${at}.routes[${index}].options are not supported`);
    if (route.protocol !== undefined && route.protocol !== 'http1') {
      failures.push(`${at}.routes[${index}].protocol '${route.protocol}' is not supported; only 'http1' is`);
    }
    return failures;
  });
}

/** Instance counts over the limit, at the app's level (its `web` process) and each process's, named by their place in the manifest. */
function limitFailures(app: ManifestApplication, at: string, limits: ManifestLimits): string[] {
  const limit = limits.instancesPerProcess;
  if (limit === undefined) return [];
  const entries: [string, number | undefined][] = [
    [`${at}.instances`, app.instances],
    ...(app.processes ?? []).map((process, index): [string, number | undefined] => [
      `${at}.processes[${index}].instances`,
      process.instances,
    ]),
  ];
  return entries.flatMap(([field, instances]) => {
    const refusal = instances === undefined ? undefined : instancesRefusal(field, instances, limit);
    return refusal === undefined ? [] : [refusal];
  });
}

const hasBuildpacks = (app: ManifestApplication): boolean => (app.buildpacks?.length ?? 0) > 0 || app.buildpack !== undefined;

const firstRepeated = (values: readonly string[]): string | undefined => values.find((value, index) => values.indexOf(value) !== index);

/** Both spellings of the disk quota, and amounts of less than 1 MB. */
function amountFailures(entry: ManifestApplication | ManifestProcess, at: string): string[] {
  const failures: string[] = [];
  if (entry.disk_quota !== undefined && entry['disk-quota'] !== undefined) {
    failures.push(`${at}.disk_quota and disk-quota may not be used together`);
  }
  for (const key of ['memory', 'disk_quota', 'disk-quota'] as const) {
    const value = entry[key];
    if (value !== undefined && (megabytesOf(value) ?? 0) <= 0) failures.push(`${at}.${key} must be greater than 0MB`);
  }
  return failures;
}

function normalizeApp(app: ManifestApplication): NormalizedApp {
  const web = processSettings({ ...app, type: 'web' });
  const named = (app.processes ?? []).map(processSettings);
  const manifestWeb = named.find((process) => process.type === 'web');
  // A `web` entry's own settings win over the app-level ones.
  const processes = [{ ...web, ...(manifestWeb ?? {}) }, ...named.filter((process) => process.type !== 'web')];
  const normalized: NormalizedApp = {
    name: app.name,
    processes,
    defaultRoute: app['default-route'] === true,
    randomRoute: app['random-route'] === true,
    noRoute: app['no-route'] === true,
    services: (app.services ?? []).map((service) =>
      typeof service === 'string'
        ? { name: service }
        : {
            name: service.name,
            ...(service.binding_name !== undefined ? { bindingName: service.binding_name } : {}),
            ...(service.parameters !== undefined ? { parameters: service.parameters } : {}),
          },
    ),
  };
  if (app.env !== undefined) normalized.env = Object.fromEntries(Object.entries(app.env).map(([key, value]) => [key, String(value)]));
  const lifecycle = lifecycleOf(app);
  if (lifecycle !== undefined) normalized.lifecycle = lifecycle;
  if (app.metadata !== undefined) normalized.metadata = app.metadata;
  if (app.routes !== undefined) normalized.routes = app.routes.map((entry) => ({ route: entry.route, ...splitRoute(entry.route) }));
  return normalized;
}

function lifecycleOf(app: ManifestApplication): NormalizedApp['lifecycle'] {
  if (app.docker !== undefined) return { type: 'docker', image: app.docker.image };
  const buildpacks = app.buildpacks ?? (app.buildpack !== undefined ? [app.buildpack] : undefined);
  if (buildpacks === undefined && app.stack === undefined) return undefined;
  return {
    type: 'buildpack',
    ...(buildpacks !== undefined ? { buildpacks: buildpacks.filter((name) => name !== 'default' && name !== 'null') } : {}),
    ...(app.stack !== undefined ? { stack: app.stack } : {}),
  };
}

function processSettings(process: ManifestProcess): ProcessSettings {
  const settings: ProcessSettings = { type: process.type };
  if (process.command !== undefined) settings.command = process.command;
  if (process.instances !== undefined) settings.instances = process.instances;
  if (process.memory !== undefined) settings.memoryMB = megabytesOf(process.memory)!;
  const disk = process.disk_quota ?? process['disk-quota'];
  if (disk !== undefined) settings.diskMB = megabytesOf(disk)!;
  const healthCheck = process['health-check-type'];
  if (healthCheck !== undefined) settings.healthCheckType = healthCheck === 'none' ? 'process' : healthCheck;
  if (process['health-check-http-endpoint'] !== undefined) settings.healthCheckEndpoint = process['health-check-http-endpoint'];
  if (process['health-check-invocation-timeout'] !== undefined) {
    settings.healthCheckInvocationTimeout = process['health-check-invocation-timeout'];
  }
  if (process.timeout !== undefined) settings.timeout = process.timeout;
  return settings;
}
