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
import {
  dockerConfigType,
  dockerManifestType,
  packageRepository,
  pullPackageImage,
  pushPackageImage,
  type ImageManifest,
} from './package-image.ts';
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
    const notFound = () => new PackageBitsNotFound(`No bits tagged ${ref.packageGuid} in ${repository}`);
    const current = await manifestDigest(client, parseImageReference(repository).repository, ref.packageGuid);
    if (current === undefined || current.layers === 0) throw notFound();
    let pulled;
    try {
      pulled = await pullPackageImage(client, `${repository}@${current.digest}`);
    } catch (error) {
      if (isRegistryError(error, 'not-found')) throw notFound();
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
   * Removes the package's bits. A registry keeps tags only as names of manifests, and identical bits
   * give identical images, so packages may share one: the package's tag is first pointed at an empty
   * image (a tombstone: no layer), then the manifest is deleted unless another package's tag still
   * names it. A registry that does not allow deletes fails the delete.
   */
  async deletePackageBits(ref: PackageBitsRef): Promise<void> {
    const { client, repository } = await this.#clientFor(ref);
    const { repository: path } = parseImageReference(repository);
    const current = await manifestDigest(client, path, ref.packageGuid);
    if (current === undefined || current.layers === 0) return;
    await putTombstone(client, path, ref.packageGuid);
    for (const tag of await client.listTags(path)) {
      if (tag !== ref.packageGuid && tag !== 'latest' && (await manifestDigest(client, path, tag))?.digest === current.digest) return;
    }
    await client.deleteManifest(path, current.digest).catch((error: unknown) => {
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

/** The manifest a tag names now and how many layers it has; undefined when the tag does not exist. */
async function manifestDigest(client: RegistryClient, path: string, tag: string): Promise<{ digest: string; layers: number } | undefined> {
  try {
    const manifest = await client.getManifest(path, tag, [dockerManifestType]);
    const parsed = JSON.parse(manifest.bytes.toString('utf8')) as ImageManifest;
    return { digest: manifest.digest, layers: parsed.layers?.length ?? 0 };
  } catch (error) {
    if (isRegistryError(error, 'not-found')) return undefined;
    throw error;
  }
}

/** Points the tag at an image without layers, the mark of a package whose bits are gone. */
async function putTombstone(client: RegistryClient, path: string, tag: string): Promise<void> {
  const config = Buffer.from(JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
  const blob = await client.uploadBlob(path, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: dockerManifestType,
    config: { mediaType: dockerConfigType, size: blob.size, digest: blob.digest },
    layers: [],
  };
  await client.putManifest(path, tag, dockerManifestType, Buffer.from(JSON.stringify(manifest)));
}
