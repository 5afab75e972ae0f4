import type { StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { refOf } from '../../store/refs.ts';
import { withConditions, type WantedCondition } from './conditions.ts';
import type { KindControllerDefinition, WorkloadContext } from './kind-controller.ts';

type Package = StoredObject<'CFPackage'>;

/** Korifi's finalizer on CFPackages (its webhook adds it on create; here the controller adds it). */
export const packageFinalizer = 'korifi.cloudfoundry.org/cfPackageController';

/**
 * What Korifi's CFPackage controller does for the API: holds every package with its finalizer, sets
 * `Initialized` once it has seen the package and `Ready` once the package has its source image (set at
 * create for docker, by the upload for bits). When a package goes (deleted, or with its app through
 * the owner reference), its bits go from the bits store before the finalizer is released; as in
 * Korifi, bits that cannot be deleted are logged, not waited for.
 */
export const packageController: KindControllerDefinition<'CFPackage'> = {
  kind: 'CFPackage',
  async reconcile(context, _ref, cfPackage) {
    if (cfPackage === undefined) return undefined;
    if (cfPackage.metadata.deletionTimestamp !== undefined) return finalize(context, cfPackage);
    const held = await ensureFinalizer(context.session, cfPackage);
    const generation = held.metadata.generation ?? 0;
    const conditions = withConditions(held.status?.conditions, wantedConditions(held, generation), new Date());
    if (conditions === undefined && held.status?.observedGeneration === generation) return undefined;
    await context.session.patchStatus(
      refOf(held),
      { observedGeneration: generation, conditions: conditions ?? held.status?.conditions ?? [] },
      { resourceVersion: held.metadata.resourceVersion! },
    );
    return undefined;
  },
};

async function ensureFinalizer(session: StoreSession, cfPackage: Package): Promise<Package> {
  const finalizers = cfPackage.metadata.finalizers ?? [];
  if (finalizers.includes(packageFinalizer)) return cfPackage;
  return session.patch(
    refOf(cfPackage),
    { metadata: { finalizers: [...finalizers, packageFinalizer] } },
    { resourceVersion: cfPackage.metadata.resourceVersion! },
  );
}

async function finalize(context: WorkloadContext, cfPackage: Package): Promise<undefined> {
  const finalizers = cfPackage.metadata.finalizers ?? [];
  if (!finalizers.includes(packageFinalizer)) return undefined;
  if (cfPackage.spec.type === 'bits' && (cfPackage.spec.source?.registry.image ?? '') !== '' && context.bits !== undefined) {
    const ref = { appGuid: cfPackage.spec.appRef.name, packageGuid: cfPackage.metadata.name };
    await context.bits.packages.deletePackageBits(ref).catch((error: unknown) => {
      context.logger.warn({ err: error, package: ref.packageGuid }, "deleting a deleted package's bits failed; they are left behind");
    });
  }
  const remaining = finalizers.filter((name) => name !== packageFinalizer);
  await context.session.patch(
    refOf(cfPackage),
    { metadata: { finalizers: remaining.length > 0 ? remaining : null } },
    { resourceVersion: cfPackage.metadata.resourceVersion! },
  );
  return undefined;
}

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
