import type { StoredObject } from '../../store/objects.ts';
import { refOf } from '../../store/refs.ts';
import { withConditions, type WantedCondition } from './conditions.ts';
import type { KindControllerDefinition } from './kind-controller.ts';

type Package = StoredObject<'CFPackage'>;

/**
 * What Korifi's CFPackage controller does for the API: `Initialized` once it has seen the package,
 * `Ready` once the package has its source image (set at create for docker, by the upload for bits).
 * A package's bits go with it through the bits store (the upload endpoint's owner), not here.
 */
export const packageController: KindControllerDefinition<'CFPackage'> = {
  kind: 'CFPackage',
  async reconcile({ session }, _ref, cfPackage) {
    if (cfPackage === undefined || cfPackage.metadata.deletionTimestamp !== undefined) return undefined;
    const generation = cfPackage.metadata.generation ?? 0;
    const conditions = withConditions(cfPackage.status?.conditions, wantedConditions(cfPackage, generation), new Date());
    if (conditions === undefined && cfPackage.status?.observedGeneration === generation) return undefined;
    await session.patchStatus(
      refOf(cfPackage),
      { observedGeneration: generation, conditions: conditions ?? cfPackage.status?.conditions ?? [] },
      { resourceVersion: cfPackage.metadata.resourceVersion! },
    );
    return undefined;
  },
};

function wantedConditions(cfPackage: Package, generation: number): WantedCondition[] {
  const hasSource = (cfPackage.spec.source?.registry.image ?? '') !== '';
  const ready: WantedCondition = hasSource
    ? { type: 'Ready', status: 'True', reason: 'SourceImageSet', message: '', observedGeneration: generation }
    : {
        type: 'Ready',
        status: 'False',
        reason: 'SourceImageNotSet',
        message: 'the package has no source image yet',
        observedGeneration: generation,
      };
  return [{ type: 'Initialized', status: 'True', reason: 'Initialized', message: '', observedGeneration: generation }, ready];
}
