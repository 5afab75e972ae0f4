import type { components } from '../../generated/openapi-types.ts';
import type { Config } from '../config/schema.ts';
import { isConditionTrue } from '../reconcilers/workloads/conditions.ts';
import type { StoredObject } from '../store/objects.ts';
import { presentMetadata, presentTimestamps } from './resource-basics.ts';

type Schemas = components['schemas'];
type Package = StoredObject<'CFPackage'>;

/** What CF shows while an upload is being stored: `PROCESSING_UPLOAD` (the domain tells whether one is). */
export type PackageStateHint = { uploading: boolean };

/**
 * A package's state as CF shows it: READY once its controller says so (Korifi: the Ready condition),
 * PROCESSING_UPLOAD while an upload is being stored, AWAITING_UPLOAD before.
 */
export function packageState(cfPackage: Package, hint: PackageStateHint): Schemas['Package']['state'] {
  if (isConditionTrue(cfPackage.status?.conditions, 'Ready')) return 'READY';
  return hint.uploading ? 'PROCESSING_UPLOAD' : 'AWAITING_UPLOAD';
}

/**
 * The type-specific data: a docker package's image; a bits package's registry repository on
 * kubernetes (as Korifi shows it), and the sha256 of its zip where the image names the zip itself
 * (the embedded store keeps zips by their sha256).
 */
function presentData(cfPackage: Package, config: Config): Schemas['Package']['data'] {
  const image = cfPackage.spec.source?.registry.image ?? '';
  if (cfPackage.spec.type === 'docker') return { image };
  if (config.backend === 'kubernetes') {
    const prefix = config.containerRegistry.repositoryPrefix;
    return prefix === undefined ? {} : { image: `${prefix}${cfPackage.spec.appRef.name}-packages` };
  }
  const digest = /@sha256:([0-9a-f]{64})$/.exec(image)?.[1];
  return { checksum: { type: 'sha256', value: digest ?? null }, error: null };
}

/** A package as CF shows it; bits packages link to their upload and download. */
export function presentPackage(cfPackage: Package, config: Config, hint: PackageStateHint): Schemas['Package'] {
  const baseUrl = config.externalUrl;
  const self = `${baseUrl}/v3/packages/${cfPackage.metadata.name}`;
  const appGuid = cfPackage.spec.appRef.name;
  const bitsLinks =
    cfPackage.spec.type === 'bits'
      ? { upload: { href: `${self}/upload`, method: 'POST' as const }, download: { href: `${self}/download`, method: 'GET' as const } }
      : {};
  return {
    guid: cfPackage.metadata.name,
    ...presentTimestamps(cfPackage),
    type: cfPackage.spec.type,
    data: presentData(cfPackage, config),
    state: packageState(cfPackage, hint),
    relationships: { app: { data: { guid: appGuid } } },
    metadata: presentMetadata(cfPackage),
    links: { self: { href: self }, ...bitsLinks, app: { href: `${baseUrl}/v3/apps/${appGuid}` } },
  };
}
