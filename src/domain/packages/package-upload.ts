import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { InvalidPackageBits, UnparseableUpload } from '../../bits/bits-errors.ts';
import type { BitsStore, PackageBitsRef, StoredPackageBits } from '../../bits/bits-store.ts';
import { uploadSpoolDirectory } from '../../bits/embedded/embedded-bits-store.ts';
import { storeUploadedPackage } from '../../bits/upload/store-uploaded-package.ts';
import { ApiError, notAuthorized, unprocessableEntity } from '../../errors/api-error.ts';
import { isStoreError } from '../../store/errors.ts';
import type { RequestContext } from '../request-context.ts';
import { apiErrorOf, mayI } from '../store-failures.ts';
import { getPackage, isAwaitingUpload, packageRef, packageResourceType, waitForCondition, type Package } from './package-service.ts';
import { ClaimLost, UploadClaim, uploadClaimAnnotation } from './upload-claim.ts';

/** The upload as it arrived: the multipart body stream and its headers. */
export type RawUpload = { body: Readable; headers: IncomingHttpHeaders };

/** 400 CF-PackageBitsAlreadyUploaded (150004), Cloud Controller's and Korifi's text. */
export const bitsAlreadyUploaded = (): ApiError =>
  new ApiError({
    status: 400,
    code: 150004,
    title: 'CF-PackageBitsAlreadyUploaded',
    detail: 'Bits may be uploaded only once. Create a new package to upload different bits.',
  });

/**
 * Where a package's bits are on the embedded backend, as an image reference: never a real registry
 * (`.invalid` never resolves), it names the stored zip by its sha256 so that the package has a source.
 */
const embeddedImage = (ref: PackageBitsRef, stored: StoredPackageBits): string =>
  `bits.cfapi.invalid/${ref.appGuid}-packages@${stored.digest}`;

/**
 * Stores an upload as the package's bits and makes them its source, as Korifi's API does: the package
 * must be a bits package the caller may change (`patch cfpackages`) that has no bits yet. The upload
 * claims the package first (so of two concurrent uploads one wins and the other gets the 400), the bits
 * are checked and stored (on kubernetes: pushed to the registry), then the package's
 * `spec.source.registry` names them (with `packageRegistrySecretNames` as pull secrets) and the
 * upload waits for Ready. A failure anywhere leaves the package AWAITING_UPLOAD and no bits stored.
 */
export async function uploadPackageBits(context: RequestContext, bits: BitsStore, guid: string, upload: RawUpload): Promise<Package> {
  const cfPackage = await getPackage(context, guid);
  if (cfPackage.spec.type !== 'bits') throw unprocessableEntity('Package type must be bits.');
  if (!(await mayI(context, 'patch', packageRef(cfPackage), packageResourceType))) throw notAuthorized();
  const claim = await UploadClaim.take({ caller: context.user, server: context.server }, cfPackage, isAwaitingUpload).catch(
    (error: unknown) => {
      throw isStoreError(error, 'Conflict') ? bitsAlreadyUploaded() : apiErrorOf(error, packageResourceType);
    },
  );
  if (claim === undefined) throw bitsAlreadyUploaded();

  const ref = { appGuid: cfPackage.spec.appRef.name, packageGuid: cfPackage.metadata.name };
  let stored: StoredPackageBits;
  try {
    stored = await storeUploadedPackage(bits, { ref, ...upload }, uploadSettings(context));
  } catch (error) {
    await claim.release().catch(() => undefined);
    throw await uploadFailure(error);
  }

  let sourced: Package;
  try {
    sourced = await claim.finish((current) =>
      context.user.patch(
        packageRef(current),
        {
          metadata: { annotations: { [uploadClaimAnnotation]: null } },
          spec: {
            source: {
              registry: {
                image: stored.image ?? embeddedImage(ref, stored),
                imagePullSecrets: context.config.containerRegistry.packageRegistrySecretNames.map((name) => ({ name })),
              },
            },
          },
        },
        { resourceVersion: current.metadata.resourceVersion ?? '' },
      ),
    );
  } catch (error) {
    // No bits without a package that names them.
    await bits.packages.deletePackageBits(ref).catch(() => undefined);
    await claim.release().catch(() => undefined);
    if (error instanceof ClaimLost) throw bitsAlreadyUploaded();
    throw apiErrorOf(error, packageResourceType);
  }
  return waitForCondition(context, sourced, 'Ready');
}

function uploadSettings(context: RequestContext) {
  const { maxUploadBytes, maxUncompressedBytes, maxEntries } = context.config.packages;
  return { maxUploadBytes, maxUncompressedBytes, maxEntries, spoolDirectory: uploadSpoolDirectory(context.config.dataDir) };
}

/** What the client sent wrong is a 400 or 422; a registry that refused the push is a 502; anything else stays a server error. */
async function uploadFailure(error: unknown): Promise<unknown> {
  if (error instanceof UnparseableUpload || error instanceof InvalidPackageBits) return error.toApiError();
  // Loaded only when a push failed: the embedded server never needs the registry's code.
  const { pushFailure } = await import('../../store/kubernetes/registry/push-failure.ts');
  return pushFailure(error) ?? error;
}
