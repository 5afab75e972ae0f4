import { join, resolve } from 'node:path';
import { mastersGroup, type Authenticator } from '../identity.ts';
import { CertificateAuthority } from '../certificate-authority.ts';
import { EmbeddedAuthenticator } from './embedded-authenticator.ts';
import { migrateKubeconfigCluster, writeKubeconfigUser } from './kubeconfig.ts';
import { UserStore } from './user-store.ts';

/** The first user of a new data directory, made CF admin and a member of `system:masters`. */
export const initialUserName = 'admin';

export type LocalIdentityPaths = { authDir: string; kubeconfigPath: string; usersFile: string };

export function localIdentityPaths(dataDir: string): LocalIdentityPaths {
  const root = resolve(dataDir);
  const authDir = join(root, 'auth');
  return { authDir, kubeconfigPath: join(root, 'kubeconfig'), usersFile: join(authDir, 'users.json') };
}

/**
 * The embedded backend's identities: a local CA and a user store in the data directory. On first use it
 * creates the CA and the `admin` user and writes them into `<dataDir>/kubeconfig`.
 */
export async function openLocalIdentity(dataDir: string): Promise<{
  authenticator: Authenticator;
  kubeconfigPath: string;
  createdInitialUser: boolean;
  /** The kubeconfig came from an earlier release and its cluster entry was brought up to date. */
  migratedKubeconfig: boolean;
  addUser: (name: string, groups?: readonly string[]) => Promise<void>;
}> {
  const paths = localIdentityPaths(dataDir);
  const ca = await CertificateAuthority.loadOrCreate(paths.authDir);
  const users = new UserStore(paths.usersFile);
  const addUser = async (name: string, groups: readonly string[] = []): Promise<void> => {
    const token = await users.add(name, groups);
    const keyPair = await ca.issueClientCertificate(name, { groups });
    await writeKubeconfigUser(paths.kubeconfigPath, { name, token, ...keyPair });
  };
  const createdInitialUser = (await users.count()) === 0;
  if (createdInitialUser) await addUser(initialUserName, [mastersGroup]);
  const migratedKubeconfig = await migrateKubeconfigCluster(paths.kubeconfigPath);
  return {
    authenticator: new EmbeddedAuthenticator({ ca: ca.certificate, users }),
    kubeconfigPath: paths.kubeconfigPath,
    createdInitialUser,
    migratedKubeconfig,
    addUser,
  };
}
