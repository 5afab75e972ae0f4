import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clusterRoleDirectory, loadClusterRoleManifests } from '../src/domain/roles/cluster-role-manifests.ts';
import { storageSchemas } from '../src/store/embedded/crd-schemas.ts';
import { crdDirectory, loadCrdManifests } from '../src/store/kubernetes/crd-manifests.ts';

/**
 * Writes, as JSON, what the embedded server reads from YAML manifests at every start, where parsing the
 * YAML cost about 150 ms: `crd-schemas.json`, the structural schema of each custom kind (its CRD's
 * storage version in deploy/helm/cf-k8s-api/files/crds/, by kind name), which the embedded store validates writes with; and
 * `cf-roles.json`, the CF roles' ClusterRoles of deploy/helm/cf-k8s-api/files/cf-roles/ (checked as loading them checks),
 * which the platform bootstrap keeps in the store. Run by `npm run generate` (scripts/generate.sh).
 * Usage: node scripts/generate-manifest-json.ts <output directory>
 */
const output = process.argv[2];
if (!output) throw new Error('usage: node scripts/generate-manifest-json.ts <output directory>');
const schemas = storageSchemas(await loadCrdManifests(crdDirectory));
await writeFile(join(output, 'crd-schemas.json'), `${JSON.stringify(Object.fromEntries(schemas), null, 2)}\n`);
const clusterRoles = await loadClusterRoleManifests(clusterRoleDirectory);
await writeFile(join(output, 'cf-roles.json'), `${JSON.stringify(clusterRoles, null, 2)}\n`);
