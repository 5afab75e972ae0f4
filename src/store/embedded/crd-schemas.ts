import { readFile } from 'node:fs/promises';
import { crdDirectory, type CrdManifest, type CrdSchema } from '../kubernetes/crd-manifests.ts';

/** The structural schema of each custom kind (by kind name), from the CRDs the Kubernetes backend installs. */
export type CrdSchemas = ReadonlyMap<string, CrdSchema>;

/**
 * `generated/crd-schemas.json`: the schemas of deploy/helm/cf-k8s-api/files/crds/, converted by `npm run generate` (whose
 * check in `npm test` fails when the CRDs changed and this file did not), so that a start reads JSON
 * instead of parsing YAML.
 */
export const generatedCrdSchemas = new URL('../../../generated/crd-schemas.json', import.meta.url);

/** The schemas of the project's CRDs (from the generated file), or of the CRDs in another `directory`. */
export async function loadCrdSchemas(directory: string = crdDirectory): Promise<CrdSchemas> {
  if (directory === crdDirectory) {
    return new Map(Object.entries(JSON.parse(await readFile(generatedCrdSchemas, 'utf8')) as Record<string, CrdSchema>));
  }
  const { loadCrdManifests } = await import('../kubernetes/crd-manifests.ts');
  return storageSchemas(await loadCrdManifests(directory));
}

/** Each CRD's schema of its storage version (or of its first version), by kind name. */
export function storageSchemas(crds: readonly CrdManifest[]): Map<string, CrdSchema> {
  const schemas = new Map<string, CrdSchema>();
  for (const crd of crds) {
    const version = crd.spec.versions.find((candidate) => candidate.storage) ?? crd.spec.versions[0];
    if (version !== undefined) schemas.set(crd.spec.names.kind, version.schema.openAPIV3Schema);
  }
  return schemas;
}
