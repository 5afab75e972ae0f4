import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceAccountUser, requestCertificateUser } from '../../../scripts/control-plane/cluster-users.ts';
import type { ControlPlane } from '../../../scripts/control-plane/control-plane.ts';
import { newRoleBinding } from '../../../src/domain/roles/role-binding.ts';
import { RestClient } from '../../../src/store/kubernetes/rest-client.ts';
import { adminKubeConfig, sharedControlPlane } from '../../support/control-plane.ts';
import { writeControlPlaneKubeconfig, type KubeconfigUser } from '../../support/control-plane-kubeconfig.ts';
import type { E2eUser } from './world.ts';

/** The shared local control plane and a client of its cluster admin. */
export type E2eCluster = { controlPlane: ControlPlane; admin: RestClient };

/** The shared local control plane (started by the first suite that needs it) and a cluster-admin client of it. */
export async function e2eCluster(): Promise<E2eCluster> {
  const controlPlane = await sharedControlPlane();
  return { controlPlane, admin: new RestClient(adminKubeConfig(controlPlane)) };
}

/** `npm start` arguments for the kubernetes backend on the control plane, reconciling in the server. */
export const kubernetesServerArgs = (controlPlane: ControlPlane): string[] => [
  '--backend',
  'kubernetes',
  '--kubeconfig',
  controlPlane.kubeconfigFile,
  '--reconcilers',
];

/** The kubeconfig the cf CLI reads, with users the cluster made, as a cluster admin would set them up. */
export type E2eKubeconfig = {
  file: string;
  /** A user with a client certificate from an approved CertificateSigningRequest; no roles. */
  newCertificateUser: (name: string) => Promise<E2eUser>;
  /** A service account of `namespace` signing with its token only; no roles. */
  newTokenUser: (namespace: string, name: string) => Promise<E2eUser>;
  /** A certificate user made CF admin as the README says: a RoleBinding to the admin ClusterRole in the root namespace. */
  newCfAdmin: (name: string, rootNamespace: string) => Promise<E2eUser>;
};

/** An empty kubeconfig for the CLI, in a temporary directory, pointing at the control plane; users are added as they are made. */
export async function e2eKubeconfig({ controlPlane, admin: cluster }: E2eCluster): Promise<E2eKubeconfig> {
  const file = join(await mkdtemp(join(tmpdir(), 'cf-e2e-kube-')), 'kubeconfig');
  const users: KubeconfigUser[] = [];
  const addUser = async (name: string, user: Record<string, string>) => {
    users.push({ name, user });
    await writeControlPlaneKubeconfig(file, controlPlane, users);
  };
  const newCertificateUser = async (name: string): Promise<E2eUser> => {
    const pair = await requestCertificateUser(cluster, name);
    await addUser(name, {
      'client-certificate-data': Buffer.from(pair.certificatePem).toString('base64'),
      'client-key-data': Buffer.from(pair.privateKeyPem).toString('base64'),
    });
    return { kubeconfigUser: name, username: name };
  };
  return {
    file,
    newCertificateUser,
    newTokenUser: async (namespace, name) => {
      const { username, token } = await createServiceAccountUser(cluster, namespace, name);
      await addUser(name, { token });
      return { kubeconfigUser: name, username };
    },
    newCfAdmin: async (name, rootNamespace) => {
      const admin = await newCertificateUser(name);
      await cluster.request({
        method: 'POST',
        path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${rootNamespace}/rolebindings`,
        body: newRoleBinding('admin', admin.username, rootNamespace),
      });
      return admin;
    },
  };
}
