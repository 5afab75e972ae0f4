import { readAppManifestSources } from '../domain/manifests/app-manifest.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentAppManifest } from '../presenters/app-manifest.ts';

/** `cf create-app-manifest`: the app as a YAML manifest. */
const getAppManifest: OperationHandler<'getAppManifest'> = async ({ path }, scope) => ({
  status: 200,
  contentType: 'application/x-yaml',
  body: presentAppManifest(await readAppManifestSources(requestContext(scope), path.guid)),
});

export const manifestHandlers = { getAppManifest } satisfies Partial<HandlerMap>;
