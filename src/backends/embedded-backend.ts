import { join, resolve } from 'node:path';
import { initialUserName, openLocalIdentity } from '../auth/embedded/local-identity.ts';
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { openEmbeddedStore } from '../store/embedded/embedded-store.ts';
import { isStoreError } from '../store/errors.ts';
import { withKorifiLabels } from '../store/korifi-labels/labelled-store.ts';
import type { Backend } from './open-backend.ts';

/** The embedded backend: the SQLite store in the data directory and the local identities beside it. */
export async function openEmbeddedBackend(config: Config): Promise<Backend> {
  const identity = await openLocalIdentity(config.dataDir);
  const file = join(resolve(config.dataDir), 'store.sqlite');
  const store = await openEmbeddedStore({ file, durability: config.embedded.durability }).catch((error: unknown) => {
    // The store holds an exclusive lock on its file: one server process per data directory.
    if (isStoreError(error, 'Unavailable') && /locked|busy/i.test(error.message)) {
      throw new ConfigError(`The embedded store ${file} is in use by another server process; stop it or give this one another dataDir.`, {
        cause: error,
      });
    }
    throw error;
  });
  return {
    store: withKorifiLabels(store),
    authenticator: identity.authenticator,
    describe: () =>
      `Embedded store ${file}\n` +
      `${identity.createdInitialUser ? 'Created the admin user; its' : 'The'} kubeconfig is ${identity.kubeconfigPath}\n` +
      (identity.migratedKubeconfig
        ? 'Updated its cluster entry so that the cf CLI sends credentials (see README, Using the cf CLI)\n'
        : '') +
      `Log in with: KUBECONFIG=${identity.kubeconfigPath} cf api ${config.externalUrl} && cf auth ${initialUserName}\n`,
    close: () => store.close(),
  };
}
