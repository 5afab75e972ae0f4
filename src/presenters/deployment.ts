import type { components } from '../../generated/openapi-types.ts';
import type { Deployment } from '../domain/deployments/deployment-service.ts';
import { presentTimestamps, secondsUtc } from './resource-basics.ts';

/** A deployment as CF shows it: rolling, one instance at a time; its GUID is its app's. */
export function presentDeployment(deployment: Deployment, baseUrl: string): components['schemas']['Deployment'] {
  const { app, status } = deployment;
  const guid = app.metadata.name;
  return {
    guid,
    ...presentTimestamps(app),
    state: status.reason,
    status: { value: status.value, reason: status.reason, details: { last_status_change: secondsUtc(status.lastStatusChange) } },
    strategy: 'rolling',
    options: { max_in_flight: 1 },
    droplet: { guid: deployment.dropletGuid },
    new_processes: deployment.processes,
    relationships: { app: { data: { guid } } },
    metadata: { labels: {}, annotations: {} },
    links: { self: { href: `${baseUrl}/v3/deployments/${guid}` }, app: { href: `${baseUrl}/v3/apps/${guid}` } },
  };
}
