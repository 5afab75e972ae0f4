import type { RequestContext } from '../request-context.ts';
import { findSpace } from '../tenancy/space-service.ts';

/**
 * Where the outcome of the last manifest applied to a space is kept: on the CFSpace (written as the
 * server), the failure's text while the last apply failed after it had started writing, absent after a
 * complete one. Every replica reads the same answer for the space's `space.apply_manifest` job.
 */
export const applyManifestFailureAnnotation = 'cfapi.cloudfoundry.org/apply-manifest-failure';

export const applyManifestOperation = 'space.apply_manifest';

/** Records how the apply ended; writes only when the recorded outcome changes. */
export async function recordApplyOutcome(context: RequestContext, spaceGuid: string, failure: string | undefined): Promise<void> {
  const space = await findSpace(context.server, spaceGuid);
  if (space === undefined) return;
  const recorded = space.metadata.annotations?.[applyManifestFailureAnnotation];
  if (recorded === failure) return;
  const ref = { kind: 'CFSpace' as const, namespace: space.metadata.namespace ?? '', name: space.metadata.name };
  await context.server.patch(ref, { metadata: { annotations: { [applyManifestFailureAnnotation]: failure ?? null } } });
}

/**
 * The state of a space's `space.apply_manifest` job: the apply is done before its 202, so the job is
 * COMPLETE, or FAILED with the error that stopped the last apply. A space the caller cannot see
 * answers COMPLETE, as other jobs do for what the caller cannot see.
 */
export async function applyManifestJobState(
  context: RequestContext,
  spaceGuid: string,
): Promise<{ state: 'COMPLETE' } | { state: 'FAILED'; failure: string }> {
  const space = await findSpace(context.server, spaceGuid);
  if (space === undefined || !(await context.visibility.sees(space))) return { state: 'COMPLETE' };
  const failure = space.metadata.annotations?.[applyManifestFailureAnnotation];
  return failure === undefined ? { state: 'COMPLETE' } : { state: 'FAILED', failure };
}
