/*
 * Package bits as Korifi keeps them: an image in a container registry that Korifi's builder (kpack's
 * source resolver) pulls. What Korifi's API does on `POST /v3/packages/{guid}/upload`, as read in its
 * sources (api/repositories, tools/image; go-containerregistry v0.20, buildpacks' archive package):
 *
 * - Where: the repository `<containerRepositoryPrefix><appGUID>-packages` (the package record's image
 *   field), written without a tag (so go-containerregistry writes `latest`) and then tagged with the
 *   package GUID. The answer, stored in the CFPackage's `spec.source.registry.image`, is that
 *   repository by digest: `<registry>/<repository>@sha256:<manifest digest>`.
 * - Credentials: the Secrets named by `packageRegistrySecretNames`, read from the root namespace,
 *   docker config JSON (`kubernetes.io/dockerconfigjson`, or the older `.dockercfg`); a Secret that is
 *   missing adds nothing, so the push goes unauthenticated and the registry refuses it. The registry's
 *   CA, if private, is given to the API as a file. Any failure to push is answered 502
 *   `CF-BlobstoreUnavailable` (150006).
 * - The image: go-containerregistry's empty image plus one layer, so a Docker schema 2 manifest
 *   (`application/vnd.docker.distribution.manifest.v2+json`) with a Docker config
 *   (`application/vnd.docker.container.image.v1+json`: empty architecture and os, zero creation
 *   times, one empty history entry, `rootfs.type` "layers" with the layer's diff ID) and one gzipped tar
 *   layer (`application/vnd.docker.image.rootfs.diff.tar.gzip`).
 * - The layer: the uploaded zip is first saved to a temporary file (a zip is read from its end), then
 *   turned into a tar entry by entry, in zip order, as zip-layer.ts describes (paths under `/`, owner
 *   0:0, time 1980-01-01T00:00:01Z, modes from the zip).
 *
 * Done here the same way, except that the zip comes as a file path (the upload handler is to spool it
 * there) and the tar is streamed from it through gzip into one streamed blob upload while both digests
 * are computed, so neither the tar nor the gzip is ever whole in memory or on disk. zip-layer.ts names
 * the few ways the tar differs.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { parseImageReference, repositoryName } from './image-reference.ts';
import type { RegistryClient } from './registry-client.ts';
import { RegistryError } from './registry-error.ts';
import { assertReadableZip, zipAsTarLayer } from './zip-layer.ts';

export const dockerManifestType = 'application/vnd.docker.distribution.manifest.v2+json';
export const dockerConfigType = 'application/vnd.docker.container.image.v1+json';
export const dockerLayerType = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const ociManifestType = 'application/vnd.oci.image.manifest.v1+json';

type Descriptor = { mediaType: string; size: number; digest: string };
export type ImageManifest = { schemaVersion: 2; mediaType?: string; config: Descriptor; layers: Descriptor[] };

/** `<containerRepositoryPrefix><appGUID>-packages`, Korifi's repository for an app's packages. */
export function packageRepository(containerRepositoryPrefix: string, appGuid: string): string {
  return `${containerRepositoryPrefix}${appGuid}-packages`;
}

/**
 * Pushes the zip at `zipPath` as Korifi's uploader does to `repository` (a full image name without tag,
 * on the client's registry), tagged `latest` and with each of `tags` (the package GUID), and answers
 * the image by digest. A file that is not a zip fails with InvalidZipError before the registry is
 * contacted; registry failures are RegistryErrors.
 */
export async function pushPackageImage(
  client: RegistryClient,
  repository: string,
  zipPath: string,
  tags: readonly string[],
): Promise<string> {
  const image = parseImageReference(repository);
  if (image.registry !== client.registry) throw new Error(`image ${repository} is not on registry ${client.registry}`);
  await assertReadableZip(zipPath);

  const uncompressed = new DigestCounter();
  const compressedLayer = new PassThrough();
  void pipeline(zipAsTarLayer(zipPath), uncompressed, createGzip(), compressedLayer).catch(() => undefined);
  const layer = await client.uploadBlob(image.repository, compressedLayer).catch((error: unknown) => {
    compressedLayer.destroy(); // tears the pipeline down, which closes the zip
    throw error;
  });

  const config = Buffer.from(JSON.stringify(imageConfig(uncompressed.digest())));
  const configBlob = await client.uploadBlob(image.repository, config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: dockerManifestType,
    config: { mediaType: dockerConfigType, size: configBlob.size, digest: configBlob.digest },
    layers: [{ mediaType: dockerLayerType, size: layer.size, digest: layer.digest }],
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  let digest = '';
  for (const tag of ['latest', ...tags]) digest = await client.putManifest(image.repository, tag, dockerManifestType, manifestBytes);
  return `${repositoryName(image)}@${digest}`;
}

/** What a pull gives back: the manifest, the parsed config, and the layer as an uncompressed tar. */
export type PulledPackageImage = { digest: string; manifest: ImageManifest; config: ImageConfig; layer(): Promise<Readable> };

/** Reads a package image (by tag or digest) back; its one layer is checked against its digest as it streams. */
export async function pullPackageImage(client: RegistryClient, imageReference: string): Promise<PulledPackageImage> {
  const image = parseImageReference(imageReference);
  const fetched = await client.getManifest(image.repository, image.reference, [dockerManifestType, ociManifestType]);
  const manifest = JSON.parse(fetched.bytes.toString('utf8')) as ImageManifest;
  const onlyLayer = manifest.layers?.length === 1 ? manifest.layers[0] : undefined;
  if (manifest.schemaVersion !== 2 || !onlyLayer)
    throw new RegistryError('protocol', `registry ${client.registry}: ${imageReference} is not a package image (one layer expected)`);
  const configStream = await client.readBlob(image.repository, manifest.config.digest);
  const config = JSON.parse((await readAll(configStream)).toString('utf8')) as ImageConfig;
  return {
    digest: fetched.digest,
    manifest,
    config,
    async layer() {
      const gunzipped = createGunzip();
      void pipeline(await client.readBlob(image.repository, onlyLayer.digest), gunzipped).catch(() => undefined);
      return gunzipped;
    },
  };
}

export type ImageConfig = {
  architecture: string;
  created: string;
  history: { created: string }[];
  os: string;
  rootfs: { type: 'layers'; diff_ids: string[] };
  config: Record<string, unknown>;
};

/** The config go-containerregistry writes for its empty image with one layer appended. */
function imageConfig(diffId: string): ImageConfig {
  const zeroTime = '0001-01-01T00:00:00Z';
  return {
    architecture: '',
    created: zeroTime,
    history: [{ created: zeroTime }],
    os: '',
    rootfs: { type: 'layers', diff_ids: [diffId] },
    config: {},
  };
}

/** Passes bytes through and gives their SHA-256 (the layer's diff ID) once they have all passed. */
class DigestCounter extends Transform {
  readonly #hash = createHash('sha256');
  #digest: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: (error?: Error | null) => void): void {
    this.#digest = `sha256:${this.#hash.digest('hex')}`;
    callback();
  }

  digest(): string {
    if (!this.#digest) throw new Error('diff ID asked before the layer ended');
    return this.#digest;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
