import type { components } from '../../generated/openapi-types.ts';
import type { AppManifestSources } from '../domain/manifests/app-manifest.ts';
import { desiredInstancesOf, effectiveHealthCheckType, type Process } from '../domain/processes/process-spec.ts';
import type { RouteWithDomain } from '../domain/routes/route-reads.ts';

type Manifest = components['schemas']['Manifest'];
type ManifestApplication = components['schemas']['ManifestApplication'];
type ManifestProcess = components['schemas']['ManifestProcess'];

/**
 * An app as a manifest, in Cloud Controller's layout: name, variables (when any), lifecycle (buildpacks
 * and stack, or the docker image), routes sorted by URL (absent when none) and processes sorted by type,
 * each with its scale, health check and its own command (a command staging found is left out, as CF
 * does, so that applying the manifest keeps following the droplet).
 */
export function presentAppManifest({ app, environment, processes, routes, dockerImage }: AppManifestSources): Manifest {
  const application: ManifestApplication = {
    name: app.spec.displayName,
    ...(Object.keys(environment).length > 0 ? { env: environment } : {}),
    ...lifecycleOf(app.spec.lifecycle, dockerImage),
    ...(routes.length > 0 ? { routes: routesOf(routes) } : {}),
    ...(processes.length > 0 ? { processes: [...processes].sort(byType).map(processOf) } : {}),
  };
  return { version: 1, applications: [application] };
}

function lifecycleOf(
  lifecycle: AppManifestSources['app']['spec']['lifecycle'],
  dockerImage: string | undefined,
): Pick<ManifestApplication, 'buildpacks' | 'stack' | 'docker'> {
  if (lifecycle.type === 'docker') return dockerImage ? { docker: { image: dockerImage } } : {};
  return {
    ...((lifecycle.data.buildpacks ?? []).length > 0 ? { buildpacks: lifecycle.data.buildpacks } : {}),
    ...(lifecycle.data.stack ? { stack: lifecycle.data.stack } : {}),
  };
}

/** `host.domain/path` of each route the caller can see with its domain, sorted as CF sorts them. */
function routesOf(routes: readonly RouteWithDomain[]): NonNullable<ManifestApplication['routes']> {
  return routes
    .flatMap(({ route, domain }) => {
      if (!domain) return [];
      const host = route.spec.host ? `${route.spec.host}.` : '';
      return [{ route: `${host}${domain.spec.name}${route.spec.path ?? ''}`, protocol: 'http1' as const }];
    })
    .sort((a, b) => a.route.toLowerCase().localeCompare(b.route.toLowerCase()));
}

const byType = (a: Process, b: Process): number => a.spec.processType.localeCompare(b.spec.processType);

function processOf(process: Process): ManifestProcess {
  const { spec } = process;
  const healthCheckType = effectiveHealthCheckType(process);
  const { httpEndpoint, invocationTimeoutSeconds, timeoutSeconds } = spec.healthCheck.data;
  return {
    type: spec.processType,
    instances: desiredInstancesOf(process),
    memory: `${spec.memoryMB}M`,
    disk_quota: `${spec.diskQuotaMB}M`,
    ...(spec.command ? { command: spec.command } : {}),
    'health-check-type': healthCheckType,
    ...(healthCheckType === 'http' && httpEndpoint ? { 'health-check-http-endpoint': httpEndpoint } : {}),
    ...(invocationTimeoutSeconds > 0 ? { 'health-check-invocation-timeout': invocationTimeoutSeconds } : {}),
    ...(timeoutSeconds > 0 ? { timeout: timeoutSeconds } : {}),
  };
}
