import { serviceUnavailable } from '../../errors/api-error.ts';
import { isStoreError } from '../../store/errors.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { RequestContext } from '../request-context.ts';
import { apiErrorOf } from '../store-failures.ts';

export type BuilderInfo = StoredObject<'BuilderInfo'>;
type BuilderStatus = NonNullable<BuilderInfo['status']>;
export type BuilderBuildpack = BuilderStatus['buildpacks'][number] & { position: number };
export type BuilderStack = BuilderStatus['stacks'][number];

const resourceType = 'BuilderInfo';

/**
 * What the builder offers, read as the caller: a caller without any CF role (who may not read the root
 * namespace) sees nothing, as with domains. A builder that is missing or not ready is a 503 that says
 * so; Korifi answers 500 `CF-ResourceNotReady` there, but nothing is wrong with the request and trying
 * again later may work.
 */
export async function readBuilder(context: RequestContext): Promise<{ buildpacks: BuilderBuildpack[]; stacks: BuilderStack[] }> {
  // The BuilderInfo named `builderName` in the root namespace, kept by Korifi's kpack builder controller
  // or, where this server reconciles, by its build controller.
  const { rootNamespace: root, builderName } = context.config;
  const info = await context.user.get({ kind: 'BuilderInfo', namespace: root, name: builderName }).catch((error: unknown) => {
    if (isStoreError(error, 'Forbidden')) return undefined;
    if (isStoreError(error, 'NotFound')) {
      throw serviceUnavailable(
        `The builder "${builderName}" has not reported its buildpacks and stacks yet (no BuilderInfo "${builderName}" in namespace "${root}"). ` +
          'Check that the staging controller (Korifi, or this server with reconcilers enabled) is running.',
      );
    }
    throw apiErrorOf(error, resourceType);
  });
  if (info === undefined) return { buildpacks: [], stacks: [] };
  const ready = info.status?.conditions?.find((condition) => condition.type === 'Ready');
  if (ready?.status !== 'True') {
    const why = ready?.message ? `: ${ready.message}` : '';
    throw serviceUnavailable(`The builder "${builderName}" is not ready${why}`);
  }
  return {
    buildpacks: (info.status?.buildpacks ?? []).map((buildpack, index) => ({ ...buildpack, position: index + 1 })),
    stacks: [...(info.status?.stacks ?? [])],
  };
}
