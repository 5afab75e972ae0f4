/** How much a package may unpack to: `packages.maxUncompressedBytes` and `packages.maxEntries`. */
export type PackageZipLimits = {
  readonly maxUncompressedBytes: number;
  readonly maxEntries: number;
};
