import { applyManifest } from '../domain/manifests/apply-manifest.ts';
import { applyManifestOperation } from '../domain/manifests/apply-job.ts';
import { diffManifest } from '../domain/manifests/manifest-diff.ts';
import { readAppManifestSources } from '../domain/manifests/app-manifest.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentAppManifest } from '../presenters/app-manifest.ts';
import { deletionAccepted } from './jobs.ts';

/** `cf create-app-manifest`: the app as a YAML manifest. */
const getAppManifest: OperationHandler<'getAppManifest'> = async ({ path }, scope) => ({
  status: 200,
  contentType: 'application/x-yaml',
  body: presentAppManifest(await readAppManifestSources(requestContext(scope), path.guid)),
});

/** `cf push`: the manifest is applied before the answer; the job in `Location` tells how it ended. */
const applySpaceManifest: OperationHandler<'applySpaceManifest'> = async ({ path, body }, scope) => {
  await applyManifest(requestContext(scope), path.guid, body);
  return deletionAccepted(scope, applyManifestOperation, path.guid);
};

/** `cf push` with a manifest file: what applying it would change (202, as Cloud Controller answers). */
const createSpaceManifestDiff: OperationHandler<'createSpaceManifestDiff'> = async ({ path, body }, scope) => ({
  status: 202,
  body: { diff: await diffManifest(requestContext(scope), path.guid, body) },
});

/** An app's manifest, and applying or diffing a manifest in a space. */
export const manifestHandlers = { getAppManifest, applySpaceManifest, createSpaceManifestDiff } satisfies Partial<HandlerMap>;
