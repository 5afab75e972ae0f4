import { readFile, writeFile } from 'node:fs/promises';
import { stringify as stringifyYaml } from 'yaml';
import type { ControlPlane } from '../../scripts/control-plane/control-plane.ts';

export type KubeconfigUser = { name: string; user: Record<string, string> };

/**
 * Writes (0600) a kubeconfig for the local control plane with `users`, the first one current: what a
 * cluster admin hands a user, or what a pod's mounted token amounts to.
 */
export async function writeControlPlaneKubeconfig(
  file: string,
  controlPlane: ControlPlane,
  users: readonly KubeconfigUser[],
): Promise<void> {
  const caData = (await readFile(controlPlane.pki.caFile)).toString('base64');
  await writeFile(
    file,
    stringifyYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server: controlPlane.server, 'certificate-authority-data': caData } }],
      contexts: [{ name: 'local', context: { cluster: 'local', user: users[0]?.name ?? '' } }],
      'current-context': 'local',
      users,
    }),
    { mode: 0o600 },
  );
}
