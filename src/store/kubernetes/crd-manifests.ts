import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** `deploy/helm/cf-k8s-api/files/crds/`: one CustomResourceDefinition per Korifi kind the store holds. */
export const crdDirectory = resolve(import.meta.dirname, '../../../deploy/helm/cf-k8s-api/files/crds');

/** The subset of OpenAPI v3 a structural CRD schema uses (keywords we do not name stay reachable by index). */
export type CrdSchema = {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, CrdSchema>;
  required?: string[];
  items?: CrdSchema;
  additionalProperties?: CrdSchema | boolean;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  default?: unknown;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  [keyword: string]: unknown;
};

export type PrinterColumn = { name: string; type: string; jsonPath: string; priority?: number; description?: string; format?: string };

export type CrdVersion = {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: Record<string, never>; scale?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
  schema: { openAPIV3Schema: CrdSchema };
};

export type CrdManifest = {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    scope: 'Namespaced' | 'Cluster';
    versions: CrdVersion[];
  };
};

/**
 * Every `*.yaml` of `directory` (one CRD per file), in file-name order. The YAML parser loads here, not
 * with this module: the embedded store reads the schemas from generated JSON (embedded/crd-schemas.ts).
 */
export async function loadCrdManifests(directory: string = crdDirectory): Promise<CrdManifest[]> {
  const { parse } = await import('yaml');
  const files = (await readdir(directory)).filter((file) => file.endsWith('.yaml') || file.endsWith('.yml')).sort();
  return Promise.all(files.map(async (file) => parseCrd(join(directory, file), parse(await readFile(join(directory, file), 'utf8')))));
}

function parseCrd(path: string, document: unknown): CrdManifest {
  if (!isCrd(document)) throw new Error(`${path} is not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
  return document;
}

function isCrd(document: unknown): document is CrdManifest {
  const candidate = document as Partial<CrdManifest> | null;
  return (
    candidate?.apiVersion === 'apiextensions.k8s.io/v1' &&
    candidate.kind === 'CustomResourceDefinition' &&
    typeof candidate.metadata?.name === 'string' &&
    Array.isArray(candidate.spec?.versions)
  );
}
