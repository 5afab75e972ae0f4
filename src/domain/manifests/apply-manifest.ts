import { appControllerReference } from '../apps/app-owner-reference.ts';
import { randomInt } from 'node:crypto';
import { ApiError, notAuthorized, unprocessableEntity } from '../../errors/api-error.ts';
import { isStoreError } from '../../store/errors.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import { createApp, listApps, type App } from '../apps/app-service.ts';
import { updateEnvironmentVariables } from '../apps/app-environment.ts';
import { defaultStack } from '../apps/app-lifecycle.ts';
import { updateApp } from '../apps/app-update.ts';
import { listDomains, type Domain } from '../domains/domain-service.ts';
import { listAppProcesses, scaleProcess, updateProcess, processResourceType } from '../processes/process-service.ts';
import { instancesLimitOf } from '../processes/instance-limit.ts';
import { newProcessSpec, processGuidOf, type Process } from '../processes/process-spec.ts';
import type { RequestContext } from '../request-context.ts';
import { listRoutes, type Route } from '../routes/route-reads.ts';
import { invalidHostOrDomain, invalidPath } from '../routes/route-validation.ts';
import { createRoute, deleteRouteDestination, insertRouteDestinations } from '../routes/route-writes.ts';
import { createServiceBinding, listServiceBindings } from '../services/service-bindings.ts';
import { listServiceInstances, type ServiceInstance } from '../services/service-instances.ts';
import { apiErrorOf, mayI } from '../store-failures.ts';
import { getSpace } from '../tenancy/space-service.ts';
import { recordApplyOutcome } from './apply-job.ts';
import { normalizeManifest, type Manifest, type NormalizedApp, type ProcessSettings } from './manifest-normalizer.ts';

/** What one app of the manifest finds in the space before anything is written. */
type AppPlan = {
  manifest: NormalizedApp;
  app: App | undefined;
  /** Routes the app is a destination of now. */
  currentRoutes: Route[];
  domainsByName: Map<string, Domain>;
  instancesByName: Map<string, ServiceInstance>;
};

/**
 * Applies a manifest to a space as the caller, as Korifi's manifest action does: checks the whole
 * manifest and what it refers to (domains, service instances, lifecycle changes) first, answering a 422
 * before anything is written; then creates or updates each app in turn. A failure after the first
 * write is not thrown: it is kept as the outcome of the space's `space.apply_manifest` job, which then
 * reports FAILED with it (a later successful apply clears it).
 */
export async function applyManifest(context: RequestContext, spaceGuid: string, manifest: Manifest): Promise<void> {
  const space = await getSpace(context, spaceGuid);
  const namespace = space.metadata.name;
  if (!(await mayI(context, 'create', { kind: 'CFApp', namespace }, 'App'))) throw notAuthorized();
  const apps = normalizeManifest(manifest, { instancesPerProcess: instancesLimitOf(context.config) });
  const domains = await listDomains(context, {});
  const domainsByName = new Map(domains.map((domain) => [domain.spec.name, domain]));
  const defaultDomain = context.config.defaultDomain;
  if (!domainsByName.has(defaultDomain)) throw unprocessableEntity(`The configured default domain "${defaultDomain}" was not found`);
  const plans = await Promise.all(apps.map((app) => planApp(context, namespace, app, domainsByName)));
  let failure: string | undefined;
  try {
    for (const plan of plans) await applyApp(context, namespace, plan);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    failure = error.detail;
  }
  await recordApplyOutcome(context, namespace, failure);
}

async function planApp(
  context: RequestContext,
  namespace: string,
  manifest: NormalizedApp,
  domainsByName: Map<string, Domain>,
): Promise<AppPlan> {
  const [app] = await listApps(context, { names: [manifest.name], spaceGuids: [namespace] });
  for (const route of manifest.routes ?? []) {
    if (!domainsByName.has(route.domain)) throw unprocessableEntity(`The route '${route.route}' did not match any existing domains.`);
    // The route writes' own checks, asked before anything is written.
    const refusal = invalidHostOrDomain(route.host, route.domain) ?? invalidPath(route.path);
    if (refusal !== undefined) throw unprocessableEntity(refusal);
  }
  if (app !== undefined && manifest.lifecycle !== undefined && manifest.lifecycle.type !== app.spec.lifecycle.type) {
    throw unprocessableEntity(`Lifecycle type cannot be changed from ${app.spec.lifecycle.type} to ${manifest.lifecycle.type}`);
  }
  const instancesByName = await instancesToBind(context, namespace, manifest);
  const currentRoutes = app === undefined ? [] : await routesOfApp(context, namespace, app);
  return { manifest, app, currentRoutes, domainsByName, instancesByName };
}

/** The service instances the manifest names, by name, in the space; one that is missing, or given parameters it cannot take, is a 422. */
async function instancesToBind(context: RequestContext, namespace: string, manifest: NormalizedApp): Promise<Map<string, ServiceInstance>> {
  const byName = new Map<string, ServiceInstance>();
  if (manifest.services.length === 0) return byName;
  const names = manifest.services.map((service) => service.name);
  for (const instance of await listServiceInstances(context, { names, spaceGuids: [namespace] }))
    byName.set(instance.spec.displayName, instance);
  for (const service of manifest.services) {
    const instance = byName.get(service.name);
    if (instance === undefined) throw unprocessableEntity(`Service instance '${service.name}' not found`);
    if (instance.spec.type === 'user-provided' && Object.keys(service.parameters ?? {}).length > 0) {
      throw unprocessableEntity('Binding parameters are not supported for user-provided service instances');
    }
  }
  return byName;
}

async function routesOfApp(context: RequestContext, namespace: string, app: App): Promise<Route[]> {
  return (await listRoutes(context, { spaceGuids: [namespace], appGuids: [app.metadata.name] })).map(({ route }) => route);
}

async function applyApp(context: RequestContext, namespace: string, plan: AppPlan): Promise<void> {
  const app =
    plan.app === undefined
      ? await createManifestApp(context, namespace, plan.manifest)
      : await updateManifestApp(context, plan.app, plan.manifest);
  await applyProcesses(context, app, plan.manifest.processes);
  await applyRoutes(context, namespace, app, plan);
  await applyServices(context, app, plan);
}

function createManifestApp(context: RequestContext, namespace: string, manifest: NormalizedApp): Promise<App> {
  const lifecycle = manifest.lifecycle;
  const metadata = manifest.metadata === undefined ? undefined : withoutNulls(manifest.metadata);
  return createApp(context, {
    name: manifest.name,
    spaceGuid: namespace,
    environmentVariables: manifest.env,
    lifecycle:
      lifecycle === undefined
        ? undefined
        : lifecycle.type === 'docker'
          ? { type: 'docker' }
          : { type: 'buildpack', data: { buildpacks: lifecycle.buildpacks ?? [], stack: lifecycle.stack ?? defaultStack } },
    metadata,
  });
}

function withoutNulls(metadata: NonNullable<NormalizedApp['metadata']>) {
  const keep = (values: Record<string, string | null> | undefined) =>
    values === undefined
      ? undefined
      : (Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null)) as Record<string, string>);
  const labels = keep(metadata.labels);
  const annotations = keep(metadata.annotations);
  return { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
}

async function updateManifestApp(context: RequestContext, app: App, manifest: NormalizedApp): Promise<App> {
  if (manifest.env !== undefined && Object.keys(manifest.env).length > 0) {
    await updateEnvironmentVariables(context, app.metadata.name, manifest.env);
  }
  const lifecycle = manifest.lifecycle;
  if (lifecycle === undefined && manifest.metadata === undefined) return app;
  return updateApp(context, app.metadata.name, {
    lifecycle:
      lifecycle === undefined || lifecycle.type === 'docker'
        ? undefined
        : {
            data: {
              ...(lifecycle.buildpacks !== undefined ? { buildpacks: lifecycle.buildpacks } : {}),
              ...(lifecycle.stack !== undefined ? { stack: lifecycle.stack } : {}),
            },
          },
    metadata: manifest.metadata,
  });
}

async function applyProcesses(context: RequestContext, app: App, settings: readonly ProcessSettings[]): Promise<void> {
  const { processes } = await listAppProcesses(context, app.metadata.name);
  for (const wanted of settings) {
    const existing = processes.find((process) => process.spec.processType === wanted.type);
    if (existing === undefined) await createProcess(context, app, wanted);
    else await updateExistingProcess(context, existing, wanted);
  }
}

/** A new process's spec: Korifi's defaults with the manifest's settings. */
function processSpecOf(app: App, wanted: ProcessSettings): Process['spec'] {
  const spec = newProcessSpec(app.metadata.name, wanted.type, '');
  const data = spec.healthCheck.data;
  if (wanted.command) spec.command = wanted.command;
  if (wanted.instances !== undefined) spec.desiredInstances = wanted.instances;
  if (wanted.memoryMB !== undefined) spec.memoryMB = wanted.memoryMB;
  if (wanted.diskMB !== undefined) spec.diskQuotaMB = wanted.diskMB;
  if (wanted.healthCheckType !== undefined) spec.healthCheck.type = wanted.healthCheckType;
  if (wanted.healthCheckEndpoint !== undefined) data.httpEndpoint = wanted.healthCheckEndpoint;
  if (wanted.healthCheckInvocationTimeout !== undefined) data.invocationTimeoutSeconds = wanted.healthCheckInvocationTimeout;
  if (wanted.timeout !== undefined) data.timeoutSeconds = wanted.timeout;
  return spec;
}

/** A process the manifest names before staging made it: created as Korifi's manifest action does, with the settings in its spec. */
async function createProcess(context: RequestContext, app: App, wanted: ProcessSettings): Promise<void> {
  const namespace = app.metadata.namespace ?? '';
  const name = processGuidOf(app.metadata.name, wanted.type);
  try {
    await context.user.create({
      kind: 'CFProcess',
      metadata: {
        name,
        namespace,
        labels: { [label('app-guid')]: app.metadata.name, [label('process-type')]: wanted.type },
        ownerReferences: [appControllerReference(app)],
      },
      spec: processSpecOf(app, wanted),
    });
  } catch (error) {
    // The app's controller made it first: change that one.
    if (!isStoreError(error, 'AlreadyExists')) throw apiErrorOf(error, processResourceType);
    await updateExistingProcess(context, await context.user.get({ kind: 'CFProcess', namespace, name }), wanted);
  }
}

async function updateExistingProcess(context: RequestContext, process: Process, wanted: ProcessSettings): Promise<void> {
  if (wanted.instances !== undefined || wanted.memoryMB !== undefined || wanted.diskMB !== undefined) {
    process = await scaleProcess(context, process, { instances: wanted.instances, memoryMB: wanted.memoryMB, diskMB: wanted.diskMB });
  }
  const healthCheck = healthCheckUpdateOf(wanted);
  if (wanted.command === undefined && healthCheck === undefined) return;
  await updateProcess(context, process, {
    ...(wanted.command !== undefined ? { command: wanted.command } : {}),
    ...(healthCheck !== undefined ? { healthCheck } : {}),
  });
}

/** The health check part of a process update (the API's field names); undefined when the manifest sets none of it. */
function healthCheckUpdateOf(wanted: ProcessSettings) {
  const data = {
    ...(wanted.timeout !== undefined ? { timeout: wanted.timeout } : {}),
    ...(wanted.healthCheckInvocationTimeout !== undefined ? { invocation_timeout: wanted.healthCheckInvocationTimeout } : {}),
    ...(wanted.healthCheckEndpoint !== undefined ? { endpoint: wanted.healthCheckEndpoint } : {}),
  };
  const healthCheck = {
    ...(wanted.healthCheckType !== undefined ? { type: wanted.healthCheckType } : {}),
    ...(Object.keys(data).length > 0 ? { data } : {}),
  };
  return Object.keys(healthCheck).length > 0 ? healthCheck : undefined;
}

async function applyRoutes(context: RequestContext, namespace: string, app: App, plan: AppPlan): Promise<void> {
  if (plan.manifest.noRoute) {
    await unmapApp(context, app, plan.currentRoutes);
    return;
  }
  for (const { host, domain: domainName, path } of routesToMap(context, plan)) {
    const domain = plan.domainsByName.get(domainName)!;
    const routeGuid = await getOrCreateRoute(context, { spaceGuid: namespace, host, domain, path });
    await insertRouteDestinations(context, routeGuid, [{ appGuid: app.metadata.name }]);
  }
}

/** The manifest's routes; else the default or a random route, when the app has none yet. */
function routesToMap(context: RequestContext, { manifest, currentRoutes }: AppPlan): { host: string; domain: string; path: string }[] {
  if (manifest.routes !== undefined) return manifest.routes;
  if (currentRoutes.length > 0) return [];
  const domain = context.config.defaultDomain;
  if (manifest.defaultRoute) return [{ host: hostOf(manifest.name), domain, path: '' }];
  if (manifest.randomRoute) return [{ host: randomHost(manifest.name), domain, path: '' }];
  return [];
}

/** `no-route`: the app leaves every route it is a destination of; the routes stay. */
async function unmapApp(context: RequestContext, app: App, routes: readonly Route[]): Promise<void> {
  const mine = routes.flatMap((route) =>
    (route.spec.destinations ?? [])
      .filter((destination) => destination.appRef.name === app.metadata.name)
      .map((destination) => ({ route, destination })),
  );
  for (const { route, destination } of mine) await deleteRouteDestination(context, route.metadata.name, destination.guid);
}

async function getOrCreateRoute(
  context: RequestContext,
  { spaceGuid, host, domain, path }: { spaceGuid: string; host: string; domain: Domain; path: string },
): Promise<string> {
  const filters = { spaceGuids: [spaceGuid], domainGuids: [domain.metadata.name], hosts: [host], paths: [path] };
  const [existing] = await listRoutes(context, filters);
  if (existing !== undefined) return existing.route.metadata.name;
  const created = await createRoute(context, { host, path: path === '' ? undefined : path, spaceGuid, domainGuid: domain.metadata.name });
  return created.route.metadata.name;
}

const adjectives = [
  'brave',
  'calm',
  'eager',
  'fancy',
  'gentle',
  'happy',
  'jolly',
  'kind',
  'lively',
  'proud',
  'quick',
  'silly',
  'witty',
  'zany',
];
const nouns = [
  'badger',
  'cheetah',
  'dolphin',
  'eagle',
  'falcon',
  'gecko',
  'hippo',
  'ibex',
  'jaguar',
  'koala',
  'lynx',
  'otter',
  'panda',
  'wombat',
];
const letters = 'abcdefghijklmnopqrstuvwxyz';

/** A random route's host as Korifi makes it: `<app>-<adjective>-<noun>-<two letters>`, in lower case. */
export function randomHost(appName: string): string {
  const pick = (words: readonly string[]) => words[randomInt(words.length)]!;
  const suffix = pick([...letters]) + pick([...letters]);
  return hostOf(`${appName}-${pick(adjectives)}-${pick(nouns)}-${suffix}`);
}

/** A host made of an app name: lower case, underscores (which hosts may not have) as dashes. */
const hostOf = (appName: string): string => appName.toLowerCase().replaceAll('_', '-');

async function applyServices(context: RequestContext, app: App, plan: AppPlan): Promise<void> {
  if (plan.manifest.services.length === 0) return;
  const bindings = await listServiceBindings(context, { appGuids: [app.metadata.name], type: 'app' });
  const boundInstances = new Set(bindings.map((binding) => binding.spec.service.name));
  for (const service of plan.manifest.services) {
    const instance = plan.instancesByName.get(service.name)!;
    if (boundInstances.has(instance.metadata.name)) continue;
    await createServiceBinding(context, {
      type: 'app',
      name: service.bindingName,
      serviceInstanceGuid: instance.metadata.name,
      appGuid: app.metadata.name,
    });
  }
}
