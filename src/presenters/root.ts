import type { components } from '../../generated/openapi-types.ts';

type RootLink = { href: string; meta: { version: string } };

/** The V3 API version the cf CLI gates features on; 3.117.0 keeps it on the paths Korifi serves. */
export const cloudControllerV3Version = '3.117.0+cf-k8s';

/** The log-cache version; at 2.0.0 or later clients use the `/api/v1` paths. */
export const logCacheVersion = '2.11.4+cf-k8s';

/** `GET /`: tells the cf CLI this is CF on Kubernetes, where the V3 API and log cache are. */
export function presentRoot(serverUrl: string): components['schemas']['Root'] {
  const link = (href: string, version = ''): RootLink => ({ href, meta: { version } });
  return {
    links: {
      self: link(serverUrl),
      bits_service: null,
      cloud_controller_v2: null,
      cloud_controller_v3: link(`${serverUrl}/v3`, cloudControllerV3Version),
      network_policy_v0: null,
      network_policy_v1: null,
      login: link(serverUrl),
      uaa: null,
      credhub: null,
      routing: null,
      logging: null,
      log_cache: link(serverUrl),
      log_stream: null,
      app_ssh: null,
    },
    cf_on_k8s: true,
  };
}

/** The top-level collections linked from `GET /v3`. */
const v3Collections = [
  'apps',
  'buildpacks',
  'builds',
  'deployments',
  'domains',
  'droplets',
  'info',
  'isolation_segments',
  'organization_quotas',
  'organizations',
  'packages',
  'processes',
  'resource_matches',
  'roles',
  'routes',
  'service_credential_bindings',
  'service_instances',
  'service_route_bindings',
  'spaces',
  'stacks',
  'tasks',
  'users',
] as const;

/** `GET /v3`: links to every collection this server serves. */
export function presentV3Root(serverUrl: string): components['schemas']['V3Root'] {
  const links: components['schemas']['V3Root']['links'] = { self: { href: `${serverUrl}/v3` } };
  for (const collection of v3Collections) links[collection] = { href: `${serverUrl}/v3/${collection}` };
  return { links };
}
