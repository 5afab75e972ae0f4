import { isStoreError } from '../../store/errors.ts';
import type { Ref } from '../../store/port.ts';
import type { RequestContext } from '../request-context.ts';
import { asCfError } from '../store-failures.ts';

/** Annotation naming who started a deletion, so they can follow its job. */
export const deletedByAnnotation = 'cfapi.cloudfoundry.org/deleted-by';

/**
 * Deletes as the caller (RBAC decides whether they may), then notes who did with the server's own
 * credentials: deleting an org or space deletes the role bindings that made it visible to the caller
 * (and may take away their right to patch it), yet they must still see its job go from PROCESSING to
 * COMPLETE. The annotation grants nothing; it only lets the deleter follow the job.
 */
export async function deleteAsCallerThenAnnotateAsServer(context: RequestContext, ref: Ref, resourceType: string): Promise<void> {
  await asCfError(context.user.delete(ref), resourceType);
  try {
    await context.server.patch(ref, { metadata: { annotations: { [deletedByAnnotation]: context.auth.identity.name } } });
  } catch (error) {
    // Gone already (nothing held it): the job is COMPLETE for everyone.
    if (!isStoreError(error, 'NotFound')) throw error;
  }
}
