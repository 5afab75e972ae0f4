import type { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { noResourceCache, type BitsStore, type PackageBitsRef, type StoredPackageBits } from '../bits-store.ts';
import { buildPackageZip } from './build-package-zip.ts';
import { checkZipContents } from './check-zip-contents.ts';
import type { PackageZipLimits } from './package-zip-limits.ts';
import { parsePackageUpload } from './parse-package-upload.ts';
import { readPackageZip, type CheckedPackageZip } from './read-package-zip.ts';
import type { StreamedZipEntries } from './zip-stream-check.ts';

export type PackageUploadSettings = PackageZipLimits & {
  readonly maxUploadBytes: number;
  /** Where the upload is spooled while it is checked. */
  readonly spoolDirectory: string;
  /** From how many bytes on a zip is read while it arrives (`ZipStreamCheck`); its default when absent. */
  readonly streamCheckThresholdBytes?: number | undefined;
};

/** One upload: which package, and the request's body and headers. */
export type PackageUploadRequest = { readonly ref: PackageBitsRef; readonly body: Readable; readonly headers: IncomingHttpHeaders };

/**
 * The whole upload of a bits package: parse the multipart body (spooling the zip), check the zip, and
 * store it: as uploaded when it holds the whole package and every tool reads it as checked (the
 * common first push; re-deflating would cost far more than the upload), its files then kept in the
 * resource cache inside it; else rebuilt with the matched files from the cache. Resolves with what was stored; on
 * any failure nothing is stored and the spool is removed, and the error is `UnparseableUpload` or
 * `InvalidPackageBits` for what the client sent (each has `toApiError()`), anything else for the server.
 */
export async function storeUploadedPackage(
  store: BitsStore,
  request: PackageUploadRequest,
  settings: PackageUploadSettings,
): Promise<StoredPackageBits> {
  const { ref, body, headers } = request;
  const streamCheck = { fingerprints: store.resources !== noResourceCache, thresholdBytes: settings.streamCheckThresholdBytes };
  const upload = await parsePackageUpload(body, headers, { ...settings, streamCheck });
  try {
    const uploaded = upload.bitsFile === undefined ? undefined : await readPackageZip(upload.bitsFile, settings);
    try {
      const asUploaded =
        uploaded?.verbatim && upload.resources.length === 0
          ? await storeAsUploaded(
              store,
              { ref, file: upload.bitsFile!, sha256: upload.bitsSha256, zip: uploaded, streamed: upload.streamed },
              settings,
            )
          : undefined;
      if (asUploaded) return asUploaded;
      const zip = buildPackageZip({
        uploaded,
        resources: upload.resources,
        cache: store.resources,
        limits: settings,
        keepUploadedFiles: true,
      });
      return await store.packages.putPackageBits(ref, zip);
    } finally {
      uploaded?.close();
    }
  } finally {
    await upload.discard();
  }
}

type AsUploaded = {
  ref: PackageBitsRef;
  file: string;
  sha256: string | undefined;
  zip: CheckedPackageZip;
  /** What was read while the zip arrived, confirmed against its directory before it counts. */
  streamed: StreamedZipEntries | undefined;
};

/**
 * Nothing to add and nothing to rename: stores the upload itself, once every file has been read and
 * counted and every local header agrees with the directory, and keeps its files in the resource cache
 * inside it. Resolves with undefined, storing nothing, when a local header names an entry otherwise
 * (tools that stream the zip would read another name): the zip is then rebuilt.
 */
async function storeAsUploaded(
  store: BitsStore,
  { ref, file, sha256, zip, streamed }: AsUploaded,
  limits: PackageZipLimits,
): Promise<StoredPackageBits | undefined> {
  const keepsFiles = store.resources !== noResourceCache && sha256 !== undefined;
  const files = await checkZipContents(zip, limits, { fingerprints: keepsFiles, streamed });
  if (!(await zip.localHeadersAgree())) return undefined;
  // A cache that fails to keep the files is no reason to refuse the package.
  if (keepsFiles) await store.resources.keepZipFiles({ path: file, sha256 }, files).catch(() => undefined);
  return store.packages.putPackageFile(ref, file, sha256);
}
