import { crdDirectory, loadCrdManifests, type CrdSchema } from '../kubernetes/crd-manifests.ts';

/** The structural schema of each custom kind (by kind name), from the CRDs the Kubernetes backend installs. */
export type CrdSchemas = ReadonlyMap<string, CrdSchema>;

export async function loadCrdSchemas(directory: string = crdDirectory): Promise<CrdSchemas> {
  const schemas = new Map<string, CrdSchema>();
  for (const crd of await loadCrdManifests(directory)) {
    const version = crd.spec.versions.find((candidate) => candidate.storage) ?? crd.spec.versions[0];
    if (version !== undefined) schemas.set(crd.spec.names.kind, version.schema.openAPIV3Schema);
  }
  return schemas;
}
