import type { components } from '../../generated/openapi-types.ts';
import { buildErrorOf, buildStateOf, type Build } from '../domain/builds/build-service.ts';
import { presentMetadata, presentTimestamps } from './resource-basics.ts';

type Schemas = components['schemas'];

/** A build's or droplet's lifecycle as CF shows it: a docker one has no data. */
export function presentBuildLifecycle(build: Build): Schemas['Lifecycle'] {
  const { type, data } = build.spec.lifecycle;
  if (type === 'docker') return { type, data: {} };
  return { type, data: { buildpacks: data.buildpacks ?? [], stack: data.stack } };
}

/** A build as CF shows it: STAGING until a controller says otherwise; a staged build's droplet is itself. */
export function presentBuild(build: Build, baseUrl: string): Schemas['Build'] {
  const guid = build.metadata.name;
  const appGuid = build.spec.appRef.name;
  const state = buildStateOf(build);
  const staged = state === 'STAGED';
  return {
    guid,
    ...presentTimestamps(build),
    created_by: {},
    state,
    staging_memory_in_mb: build.spec.stagingMemoryMB,
    staging_disk_in_mb: build.spec.stagingDiskMB,
    staging_log_rate_limit_bytes_per_second: -1,
    error: buildErrorOf(build),
    lifecycle: presentBuildLifecycle(build),
    package: { guid: build.spec.packageRef.name },
    droplet: staged ? { guid } : null,
    relationships: { app: { data: { guid: appGuid } } },
    metadata: presentMetadata(build),
    links: {
      self: { href: `${baseUrl}/v3/builds/${guid}` },
      app: { href: `${baseUrl}/v3/apps/${appGuid}` },
      ...(staged ? { droplet: { href: `${baseUrl}/v3/droplets/${guid}` } } : {}),
    },
  };
}
