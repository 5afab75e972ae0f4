import type { Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { BitsStore, PackageBitsRef, StoredPackageBits } from '../bits-store.ts';
import { buildPackageZip } from './build-package-zip.ts';
import { checkZipContents } from './check-zip-contents.ts';
import type { PackageZipLimits } from './package-zip-limits.ts';
import { parsePackageUpload } from './parse-package-upload.ts';
import { readPackageZip } from './read-package-zip.ts';

export type PackageUploadSettings = PackageZipLimits & {
  readonly maxUploadBytes: number;
  /** Where the upload is spooled while it is checked. */
  readonly spoolDirectory: string;
};

/** One upload: which package, and the request's body and headers. */
export type PackageUploadRequest = { readonly ref: PackageBitsRef; readonly body: Readable; readonly headers: IncomingHttpHeaders };

/**
 * The whole upload of a bits package: parse the multipart body (spooling the zip), check the zip, and
 * store it: as uploaded when it holds the whole package and every tool reads it as checked (the
 * common first push; re-deflating would cost far more than the upload), else rebuilt with the
 * matched files from the cache. Resolves with what was stored; on
 * any failure nothing is stored and the spool is removed, and the error is `UnparseableUpload` or
 * `InvalidPackageBits` for what the client sent (each has `toApiError()`), anything else for the server.
 */
export async function storeUploadedPackage(
  store: BitsStore,
  request: PackageUploadRequest,
  settings: PackageUploadSettings,
): Promise<StoredPackageBits> {
  const { ref, body, headers } = request;
  const upload = await parsePackageUpload(body, headers, settings);
  try {
    const uploaded = upload.bitsFile === undefined ? undefined : await readPackageZip(upload.bitsFile, settings);
    try {
      if (uploaded?.verbatim && upload.resources.length === 0) {
        // Nothing to add and nothing to rename: store the upload itself, once every file has been read and counted.
        const keep =
          upload.bitsSha256 === undefined ? undefined : { cache: store.resources, path: upload.bitsFile!, sha256: upload.bitsSha256 };
        await checkZipContents(uploaded, settings, keep);
        return await store.packages.putPackageFile(ref, upload.bitsFile!, upload.bitsSha256);
      }
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
