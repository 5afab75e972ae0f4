import type { components } from '../../generated/openapi-types.ts';
import { detectedBuildpackAnnotation } from '../domain/builds/build-service.ts';
import type { Droplet } from '../domain/droplets/droplet-service.ts';
import { presentBuildLifecycle } from './build.ts';
import { presentMetadata, presentTimestamps } from './resource-basics.ts';

type Schemas = components['schemas'];

/** A droplet as CF shows it: a staged build's result; docker droplets show their image. */
export function presentDroplet(droplet: Droplet, baseUrl: string): Schemas['Droplet'] {
  const guid = droplet.metadata.name;
  const appGuid = droplet.spec.appRef.name;
  const staged = droplet.status?.droplet;
  return {
    guid,
    ...presentTimestamps(droplet),
    state: 'STAGED',
    error: null,
    lifecycle: presentBuildLifecycle(droplet),
    execution_metadata: '',
    process_types: Object.fromEntries((staged?.processTypes ?? []).map((processType) => [processType.type, processType.command])),
    checksum: null,
    ...imageOrBuildpacks(droplet),
    relationships: { app: { data: { guid: appGuid } } },
    metadata: presentMetadata(droplet),
    links: {
      self: { href: `${baseUrl}/v3/droplets/${guid}` },
      package: { href: `${baseUrl}/v3/packages/${droplet.spec.packageRef.name}` },
      app: { href: `${baseUrl}/v3/apps/${appGuid}` },
      assign_current_droplet: { href: `${baseUrl}/v3/apps/${appGuid}/relationships/current_droplet`, method: 'PATCH' },
      download: null,
    },
  };
}

/**
 * A docker droplet shows its image and nothing of buildpacks or stacks; a buildpack droplet its stack
 * and the buildpack our build controller recorded (none where Korifi's staged it).
 */
function imageOrBuildpacks(droplet: Droplet): Pick<Schemas['Droplet'], 'buildpacks' | 'stack' | 'image'> {
  if (droplet.spec.lifecycle.type === 'docker')
    return { buildpacks: [], stack: null, image: droplet.status?.droplet?.registry.image || null };
  const buildpack = droplet.metadata.annotations?.[detectedBuildpackAnnotation];
  return {
    buildpacks: buildpack === undefined ? [] : [{ name: buildpack, detect_output: null, buildpack_name: buildpack, version: null }],
    stack: droplet.status?.droplet?.stack || droplet.spec.lifecycle.data.stack || null,
    image: null,
  };
}

/** An app's current-droplet relationship and where it leads. */
export function presentCurrentDropletRelationship(
  appGuid: string,
  dropletGuid: string,
  baseUrl: string,
): Schemas['CurrentDropletRelationship'] {
  const app = `${baseUrl}/v3/apps/${appGuid}`;
  return {
    data: { guid: dropletGuid },
    links: { self: { href: `${app}/relationships/current_droplet` }, related: { href: `${app}/droplets/current` } },
  };
}
