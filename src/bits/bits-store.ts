import type { Readable } from 'node:stream';

/**
 * The bits-store port: where a bits package's zip and the resource-match cache live. The embedded
 * adapter keeps files under the data directory; the kubernetes adapter pushes to an OCI registry as
 * Korifi does (image `<containerRepositoryPrefix><appGuid>-packages`, tagged with the package GUID),
 * which is why a package is addressed by its app and its own GUID.
 */
export interface BitsStore {
  readonly packages: PackageBitsStore;
  readonly resources: ResourceCache;
  /** Releases what the adapter holds open; safe to call twice. */
  close(): Promise<void>;
}

/** Which package's bits: the kubernetes adapter names its image after the app, tags it with the package. */
export type PackageBitsRef = { readonly appGuid: string; readonly packageGuid: string };

/**
 * What the store kept: the sha256 digest (`sha256:<hex>`, as OCI writes it) and the size of the zip;
 * where a registry keeps them, also the image by digest (the CFPackage's `spec.source.registry.image`).
 */
export type StoredPackageBits = { readonly digest: string; readonly sizeBytes: number; readonly image?: string };

export interface PackageBitsStore {
  /**
   * Stores the zip read from `bits` as the package's bits, replacing earlier ones. Resolves once the
   * whole stream is stored; when the stream fails (an interrupted upload, a zip found invalid while it
   * is built), rejects with the stream's error and leaves nothing behind: no blob, no temporary file.
   */
  putPackageBits(ref: PackageBitsRef, bits: Readable): Promise<StoredPackageBits>;
  /**
   * Stores the complete zip at `file` as the package's bits, as `putPackageBits` does, and takes the
   * file over: the store may move it (no copy when it is on the store's filesystem), so the caller
   * must not use it afterwards. An upload spooled to disk is stored this way. `sha256` (hex) is the
   * file's digest when the caller computed it while writing the file; the store then need not read it.
   */
  putPackageFile(ref: PackageBitsRef, file: string, sha256?: string): Promise<StoredPackageBits>;
  /** Opens the package's bits for reading; rejects with `PackageBitsNotFound` when there are none. */
  openPackageBits(ref: PackageBitsRef): Promise<StoredPackageBits & { readonly stream: Readable }>;
  /** Removes the package's bits; nothing to remove is not an error. */
  deletePackageBits(ref: PackageBitsRef): Promise<void>;
}

/** One file's identity in resource matching, as the cf CLI sends it: its SHA-1 (hex) and size. */
export type FileFingerprint = { readonly sha1: string; readonly sizeBytes: number };

/**
 * Files of uploaded packages kept by SHA-1 so that a later upload can name them instead of sending
 * them (`POST /v3/resource_matches`, the upload's `resources` field). Bounded: what does not fit is
 * forgotten, so `held` is a promise about now, and `open` may still find a file gone.
 */
export interface ResourceCache {
  /** Those of `candidates` the cache holds now, in their order (the resource-match answer). */
  held(candidates: readonly FileFingerprint[]): Promise<FileFingerprint[]>;
  /** The file's content, or undefined when it is not held (or held with another size). */
  open(file: FileFingerprint): Promise<Readable | undefined>;
  /**
   * Keeps the file read from `content`, under the SHA-1 computed here (never one a client claims).
   * Resolves with its fingerprint, or undefined when it was not kept (empty, or larger than the bound).
   */
  keep(content: Readable): Promise<FileFingerprint | undefined>;
  /** Keeps a file whose whole content is at hand, as `keep` does; content already held is not written again. */
  keepContent(content: Buffer): Promise<FileFingerprint | undefined>;
  /**
   * Keeps the files of a checked zip where they are: the cache may keep the zip (a hard link to the
   * file, or a copy) and read each file out of it later, rather than writing every file on its own.
   * `zip.sha256` (hex) names the zip's content; every location was read and hashed by the caller while
   * it checked the zip. The file must not change afterwards, and is handed on (`putPackageFile`) only
   * once this resolved.
   */
  keepZipFiles(zip: { readonly path: string; readonly sha256: string }, files: readonly ZipFileLocation[]): Promise<void>;
}

/** Where a checked file lies in its zip: its data's offset and compressed size, stored (0) or deflated (8). */
export type ZipFileLocation = FileFingerprint & {
  readonly dataStart: number;
  readonly compressedSize: number;
  readonly method: 0 | 8;
};

/** A resource cache that holds nothing: Korifi's answer to resource matching, for adapters without one. */
export const noResourceCache: ResourceCache = {
  held: async () => [],
  open: async () => undefined,
  keep: async (content) => {
    content.resume();
    return undefined;
  },
  keepContent: async () => undefined,
  keepZipFiles: async () => undefined,
};
