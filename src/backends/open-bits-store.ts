import { mkdir, readFile, rm } from 'node:fs/promises';
import type { BitsStore } from '../bits/bits-store.ts';
import { openEmbeddedBitsStore, uploadSpoolDirectory } from '../bits/embedded/embedded-bits-store.ts';
import { ConfigError } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { isStoreError } from '../store/errors.ts';
import type { Store } from '../store/port.ts';

/**
 * Opens where package bits live for the configured backend: files under `<dataDir>/bits/` (embedded),
 * or the container registry of `containerRegistry` (kubernetes; uploads are still spooled under the
 * data directory, since a zip is read from its end). Push credentials are read, as the server, from the
 * Secrets named by `containerRegistry.packageRegistrySecretNames` in the root namespace at each push.
 */
export async function openBitsStore(config: Config, store: Store): Promise<BitsStore> {
  if (config.backend === 'embedded')
    return openEmbeddedBitsStore({ dataDir: config.dataDir, resourceCacheBytes: config.resourceMatching.cacheBytes });
  const spoolDirectory = uploadSpoolDirectory(config.dataDir);
  await rm(spoolDirectory, { recursive: true, force: true });
  await mkdir(spoolDirectory, { recursive: true, mode: 0o700 });
  const { caFile, repositoryPrefix, packageRegistrySecretNames } = config.containerRegistry;
  let caPem: string | undefined;
  if (caFile !== undefined) {
    caPem = await readFile(caFile, 'utf8').catch((error: unknown) => {
      throw new ConfigError(`Cannot read containerRegistry.caFile ${caFile}: ${(error as Error).message}`, { cause: error });
    });
  }
  const server = store.privileged();
  const { openRegistryBitsStore } = await import('../store/kubernetes/registry/registry-bits-store.ts');
  return openRegistryBitsStore({
    repositoryPrefix,
    caPem,
    spoolDirectory,
    credentialSecrets: async () => {
      const secrets = await Promise.all(
        packageRegistrySecretNames.map((name) =>
          server.get({ kind: 'Secret', namespace: config.rootNamespace, name }).catch((error: unknown) => {
            // A missing Secret adds nothing, as in Korifi: the push goes without its credentials.
            if (isStoreError(error, 'NotFound')) return undefined;
            throw error;
          }),
        ),
      );
      return secrets.flatMap((secret) => (secret ? [{ type: secret.type, data: secret.data }] : []));
    },
  });
}
