import { stat, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { PackageBitsNotFound } from '../../../bits/bits-errors.ts';
import {
  noResourceCache,
  type BitsStore,
  type PackageBitsRef,
  type PackageBitsStore,
  type StoredPackageBits,
} from '../../../bits/bits-store.ts';
import { writeTemporaryFile } from '../../../bits/embedded/temporary-file.ts';
import { registryCredentialsFromSecrets, type DockerConfigSecret } from './docker-config.ts';
import { parseImageReference } from './image-reference.ts';
import { tarLayerAsZip } from './layer-zip.ts';
import { dockerManifestType, packageRepository, pullPackageImage, pushPackageImage } from './package-image.ts';
import { RegistryClient } from './registry-client.ts';
import { isRegistryError, RegistryError } from './registry-error.ts';

export type RegistryBitsStoreOptions = {
  /** Korifi's `containerRepositoryPrefix`; without it every push fails as the registry being unavailable. */
  repositoryPrefix: string | undefined;
  /** The docker config Secrets named by `packageRegistrySecretNames`, read at each call (so a rotated Secret counts at once). */
  credentialSecrets: () => Promise<DockerConfigSecret[]>;
  /** PEM of a private CA that signed the registry's certificate. */
  caPem?: string | undefined;
  /** Where a streamed zip is written before it is pushed (a zip is read from its end). */
  spoolDirectory: string;
};

/**
 * The kubernetes adapter of the bits-store port: package bits are images in an OCI registry, pushed as
 * Korifi's API pushes them (package-image.ts), so Korifi's builder can stage them; read back by pulling
 * the layer and zipping it again, so this server's own build controller can stage them too. Resource
 * matching holds nothing, as in Korifi.
 */
export function openRegistryBitsStore(options: RegistryBitsStoreOptions): BitsStore {
  return { packages: new RegistryPackageBits(options), resources: noResourceCache, close: async () => undefined };
}

class RegistryPackageBits implements PackageBitsStore {
  readonly #options: RegistryBitsStoreOptions;

  constructor(options: RegistryBitsStoreOptions) {
    this.#options = options;
  }

  async putPackageBits(ref: PackageBitsRef, bits: Readable): Promise<StoredPackageBits> {
    const written = await writeTemporaryFile(this.#options.spoolDirectory, bits, 'sha256');
    return this.putPackageFile(ref, written.path);
  }

  async putPackageFile(ref: PackageBitsRef, file: string): Promise<StoredPackageBits> {
    try {
      const { size } = await stat(file);
      const { client, repository } = await this.#clientFor(ref);
      const image = await pushPackageImage(client, repository, file, [ref.packageGuid]);
      return { digest: image.slice(image.indexOf('@') + 1), sizeBytes: size, image };
    } finally {
      await rm(file, { force: true });
    }
  }

  async openPackageBits(ref: PackageBitsRef): Promise<StoredPackageBits & { readonly stream: Readable }> {
    const { client, repository } = await this.#clientFor(ref);
    let pulled;
    try {
      pulled = await pullPackageImage(client, `${repository}:${ref.packageGuid}`);
    } catch (error) {
      if (isRegistryError(error, 'not-found')) throw new PackageBitsNotFound(`No image tagged ${ref.packageGuid} in ${repository}`);
      throw error;
    }
    const layer = pulled.manifest.layers[0]!;
    return {
      digest: pulled.digest,
      sizeBytes: layer.size,
      image: `${repository}@${pulled.digest}`,
      stream: tarLayerAsZip(await pulled.layer()),
    };
  }

  /**
   * Removes the package's tag and, when no other package's tag names the same manifest (identical bits
   * give identical images), the manifest itself. A registry that does not allow deletes keeps them.
   */
  async deletePackageBits(ref: PackageBitsRef): Promise<void> {
    const { client, repository } = await this.#clientFor(ref);
    const { repository: path } = parseImageReference(repository);
    const digestOf = async (tag: string): Promise<string | undefined> => {
      try {
        return (await client.getManifest(path, tag, [dockerManifestType])).digest;
      } catch (error) {
        if (isRegistryError(error, 'not-found')) return undefined;
        throw error;
      }
    };
    const digest = await digestOf(ref.packageGuid);
    if (digest === undefined) return;
    for (const tag of await client.listTags(path)) {
      if (tag !== ref.packageGuid && tag !== 'latest' && (await digestOf(tag)) === digest) return;
    }
    await client.deleteManifest(path, digest).catch((error: unknown) => {
      if (!isRegistryError(error, 'not-found')) throw error;
    });
  }

  async #clientFor(ref: PackageBitsRef): Promise<{ client: RegistryClient; repository: string }> {
    const prefix = this.#options.repositoryPrefix;
    if (prefix === undefined)
      throw new RegistryError('unavailable', 'no container registry is configured (containerRegistry.repositoryPrefix)');
    const repository = packageRepository(prefix, ref.appGuid);
    const { registry } = parseImageReference(repository);
    const credentials = registryCredentialsFromSecrets(await this.#options.credentialSecrets(), registry);
    return { client: new RegistryClient({ registry, credentials, caPem: this.#options.caPem }), repository };
  }
}
