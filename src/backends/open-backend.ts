import { join, resolve } from 'node:path';
import { initialUserName, openLocalIdentity } from '../auth/embedded/local-identity.ts';
import type { Authenticator } from '../auth/identity.ts';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../config/load.ts';
import { openEmbeddedStore } from '../store/embedded/embedded-store.ts';
import { checkCluster } from '../store/kubernetes/cluster-check.ts';
import { KubernetesAuthenticator } from '../store/kubernetes/kubernetes-authenticator.ts';
import { KubernetesStore } from '../store/kubernetes/kubernetes-store.ts';
import { loadServerKubeConfig } from '../store/kubernetes/server-kubeconfig.ts';
import { isStoreError } from '../store/errors.ts';
import { withKorifiLabels } from '../store/korifi-labels/labelled-store.ts';
import type { Store } from '../store/port.ts';
import { describePlatformChanges, ensurePlatform } from '../domain/platform/bootstrap.ts';
import type { Logger } from '../logger.ts';
import {
  reconcilerLeaseName,
  startElectedTenancyReconcilers,
  startTenancyReconcilers,
  type RunningReconcilers,
} from '../reconcilers/index.ts';

/** A storage backend with the authenticator that belongs to it, and a line that tells people how to log in. */
export type Backend = {
  /** Sets Korifi's webhook labels on every write (see korifi-labels/). */
  store: Store;
  authenticator: Authenticator;
  /** What to print at start: where the store is and how to log in. */
  describe: () => string;
  close(): Promise<void>;
};

/**
 * Opens the configured backend and makes it ready to serve: the platform objects the API relies on
 * (root namespace, default domain; on the embedded store also the CF ClusterRoles and a first admin)
 * and, when enabled, the in-process org/space reconcilers.
 */
export async function openBackend(config: Config, logger: Logger): Promise<Backend> {
  const embedded = config.backend === 'embedded';
  const backend = embedded ? await openEmbeddedBackend(config) : await openKubernetesBackend(config);
  try {
    const platformOptions = {
      rootNamespace: config.rootNamespace,
      defaultDomain: config.defaultDomain,
      installClusterRoles: embedded,
      ...(embedded ? { initialAdmin: initialUserName } : {}),
    };
    const changes = await ensurePlatform(backend.store.privileged(), platformOptions);
    const reconcilers = (config.reconcilers ?? embedded) ? await startReconcilers(backend.store, config, logger) : undefined;
    const reconcilerState = reconcilers?.description ?? "off (Korifi's controllers are expected)";
    const platform = `${describePlatformChanges(changes, platformOptions)}\nOrg/space reconcilers: ${reconcilerState}\n`;
    return {
      ...backend,
      describe: () => `${backend.describe()}${platform}`,
      close: async () => {
        await reconcilers?.running.stop();
        await backend.close();
      },
    };
  } catch (error) {
    await backend.close();
    throw error;
  }
}

/**
 * The embedded store has one server process (its file lock), so it simply reconciles; on a cluster,
 * replicas elect one of them to do it.
 */
async function startReconcilers(
  store: Store,
  config: Config,
  logger: Logger,
): Promise<{ running: RunningReconcilers; description: string }> {
  const options = { rootNamespace: config.rootNamespace, logger };
  if (config.backend === 'embedded')
    return { running: await startTenancyReconcilers(store, options), description: 'running in this process' };
  return {
    running: await startElectedTenancyReconcilers(store, options),
    description: `running in this process while it leads (Lease ${reconcilerLeaseName} in ${config.rootNamespace})`,
  };
}

async function openEmbeddedBackend(config: Config): Promise<Backend> {
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

async function openKubernetesBackend(config: Config): Promise<Backend> {
  let kubeConfig;
  try {
    kubeConfig = loadServerKubeConfig({ kubeconfigFile: config.kubernetes.kubeconfig, context: config.kubernetes.context });
    await checkCluster(kubeConfig);
  } catch (error) {
    throw new ConfigError(`kubernetes backend: ${(error as Error).message}`, { cause: error });
  }
  const store = new KubernetesStore(kubeConfig);
  const authenticator = new KubernetesAuthenticator(kubeConfig);
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  return {
    store: withKorifiLabels(store),
    authenticator,
    describe: () =>
      `Kubernetes cluster ${server} (context ${kubeConfig.getCurrentContext()})\n` +
      `Log in with a kubeconfig user of that cluster: cf api ${config.externalUrl} && cf auth <user>\n`,
    close: async () => {
      authenticator.close();
      await store.close();
    },
  };
}
