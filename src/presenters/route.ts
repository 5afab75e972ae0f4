import type { components } from '../../generated/openapi-types.ts';
import type { RouteWithDomain } from '../domain/routes/route-reads.ts';
import type { RouteDestination } from '../store/korifi-types.ts';
import { presentMetadata, presentTimestamps } from './resource-basics.ts';

type Schemas = components['schemas'];

/** The port a destination's app listens on when the route does not say: CF's default. */
const defaultAppPort = 8080;

/** `host.domain/path`, or `domain/path` for a route on the bare domain; no scheme, as CF shows it. */
export function routeUrl({ route, domain }: RouteWithDomain): string {
  const domainName = domain?.spec.name ?? '';
  const host = route.spec.host ?? '';
  return `${host === '' ? domainName : `${host}.${domainName}`}${route.spec.path ?? ''}`;
}

/**
 * A destination: the port and protocol the route controller settled (`status.destinations`) when the
 * route itself names none, else CF's defaults.
 */
function presentDestination(destination: RouteDestination, settled: readonly RouteDestination[]): Schemas['RouteDestination'] {
  const effective = settled.find((candidate) => candidate.guid === destination.guid);
  return {
    guid: destination.guid,
    app: { guid: destination.appRef.name, process: { type: destination.processType } },
    weight: null,
    port: destination.port ?? effective?.port ?? defaultAppPort,
    protocol: destination.protocol ?? effective?.protocol ?? 'http1',
  };
}

export function presentRouteDestinations(withDomain: RouteWithDomain): Schemas['RouteDestination'][] {
  const { route } = withDomain;
  return (route.spec.destinations ?? []).map((destination) => presentDestination(destination, route.status?.destinations ?? []));
}

/** A route as CF shows it: always HTTP, no port; its space is the namespace the CFRoute lives in. */
export function presentRoute(withDomain: RouteWithDomain, baseUrl: string): Schemas['Route'] {
  const { route } = withDomain;
  const self = `${baseUrl}/v3/routes/${route.metadata.name}`;
  const spaceGuid = route.metadata.namespace ?? '';
  const domainGuid = route.spec.domainRef.name ?? '';
  return {
    guid: route.metadata.name,
    ...presentTimestamps(route),
    protocol: 'http',
    host: route.spec.host ?? '',
    path: route.spec.path ?? '',
    port: null,
    url: routeUrl(withDomain),
    destinations: presentRouteDestinations(withDomain),
    options: {},
    relationships: { space: { data: { guid: spaceGuid } }, domain: { data: { guid: domainGuid } } },
    metadata: presentMetadata(route),
    links: {
      self: { href: self },
      space: { href: `${baseUrl}/v3/spaces/${spaceGuid}` },
      domain: { href: `${baseUrl}/v3/domains/${domainGuid}` },
      destinations: { href: `${self}/destinations` },
    },
  };
}
