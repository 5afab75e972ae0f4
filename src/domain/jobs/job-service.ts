import { resourceNotFound } from '../../errors/api-error.ts';
import { getIfExists } from '../../store/lookups.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { RequestContext } from '../request-context.ts';
import { propagatedFromLabel, roleGuidLabel } from '../roles/role-binding-marks.ts';
import { findApp } from '../apps/app-service.ts';
import { findRoute, findUnmappedRouteBeingDeleted } from '../routes/route-writes.ts';
import { findSpace } from '../tenancy/space-service.ts';
import { deletedByAnnotation } from './deletion.ts';
import { applyManifestJobState, applyManifestOperation } from '../manifests/apply-job.ts';

export type JobState = 'PROCESSING' | 'COMPLETE' | 'FAILED';
export type Job = { guid: string; operation: string; resourceGuid: string; state: JobState; failure?: string };

/** The job GUID of an operation on a resource, as in the `Location` of a 202. */
export const jobGuid = (operation: string, resourceGuid: string): string => `${operation}~${resourceGuid}`;

const jobGuidPattern = /^([a-z_-]+\.[a-z_]+)~([A-Za-z0-9.-]+)$/;

type Deletion = {
  resourceType: string;
  /** The resource if it still exists (read as the server: the caller may have lost access with it). */
  find(context: RequestContext, guid: string): Promise<StoredObject | undefined>;
  /** The namespace whose role bindings make the resource visible, and those it inherits roles from. */
  visibleThrough(context: RequestContext, resource: StoredObject): { own: string; ancestors: string[] };
};

/** Orgs and spaces are seen through their own namespace, or roles propagated from their org and the root. */
const tenantNamespaces = (context: RequestContext, resource: StoredObject) => ({
  own: resource.metadata.name,
  ancestors: [resource.metadata.namespace ?? '', context.config.rootNamespace],
});

const inRoot = (kind: 'CFOrg' | 'CFDomain') => (context: RequestContext, guid: string) =>
  getIfExists(context.server, { kind, namespace: context.config.rootNamespace, name: guid });

const deletions: Record<string, Deletion> = {
  'org.delete': { resourceType: 'Organization', find: inRoot('CFOrg'), visibleThrough: tenantNamespaces },
  'domain.delete': {
    resourceType: 'Domain',
    find: inRoot('CFDomain'),
    visibleThrough: (context) => ({ own: context.config.rootNamespace, ancestors: [] }),
  },
  'space.delete': {
    resourceType: 'Space',
    find: (context, guid) => findSpace(context.server, guid),
    visibleThrough: tenantNamespaces,
  },
  'app.delete': {
    resourceType: 'App',
    find: (context, guid) => findApp(context.server, guid),
    // Seen through the space's namespace, which an app's deletion leaves in place.
    visibleThrough: (context, app) => ({ own: app.metadata.namespace ?? '', ancestors: [context.config.rootNamespace] }),
  },
  'route.delete': {
    resourceType: 'Route',
    find: (context, guid) => findRoute(context.server, guid),
    visibleThrough: (context, route) => ({ own: route.metadata.namespace ?? '', ancestors: [context.config.rootNamespace] }),
  },
  // Deleting a space's unmapped routes goes on while one of them is still being deleted.
  'space.delete_unmapped_routes': {
    resourceType: 'Route',
    find: (context, spaceGuid) => findUnmappedRouteBeingDeleted(context.server, spaceGuid),
    visibleThrough: (context, route) => ({ own: route.metadata.namespace ?? '', ancestors: [context.config.rootNamespace] }),
  },
  'role.delete': {
    resourceType: 'Role',
    // The role's own binding, not the copies the reconcilers propagate (they carry its GUID too).
    find: async (context, guid) => {
      const selector = [
        { key: roleGuidLabel, operator: 'equals' as const, value: guid },
        { key: propagatedFromLabel, operator: 'notExists' as const },
      ];
      return (await context.server.list('RoleBinding', { labelSelector: selector })).items[0];
    },
    visibleThrough: (context, binding) => ({ own: binding.metadata.namespace ?? '', ancestors: [context.config.rootNamespace] }),
  },
};

/**
 * A deletion job: COMPLETE once the resource is gone; PROCESSING while it is being deleted (its
 * finalizers are still at work); FAILED when that has taken longer than the deletion timeout. A
 * resource that is not being deleted has no such job. Only whoever started the deletion, or can see the
 * resource, learns more than COMPLETE: to anyone else a resource they cannot see looks like one that
 * does not exist.
 */
export async function getJob(context: RequestContext, guid: string): Promise<Job> {
  const match = jobGuidPattern.exec(guid);
  if (match?.[1] === applyManifestOperation)
    return { guid, operation: match[1], resourceGuid: match[2]!, ...(await applyManifestJobState(context, match[2]!)) };
  const deletion = match ? deletions[match[1]!] : undefined;
  if (!match || !deletion) throw resourceNotFound('Job');
  const [, operation = '', resourceGuid = ''] = match;
  const job = { guid, operation, resourceGuid };
  const resource = await deletion.find(context, resourceGuid);
  if (resource === undefined || !(await mayFollow(context, deletion, resource))) return { ...job, state: 'COMPLETE' };
  const deletingSince = resource.metadata.deletionTimestamp;
  if (deletingSince === undefined) throw resourceNotFound('Job');
  const timeoutMs = context.config.deletionTimeoutSeconds * 1000;
  if (Date.now() - Date.parse(deletingSince) < timeoutMs) return { ...job, state: 'PROCESSING' };
  return {
    ...job,
    state: 'FAILED',
    failure: `${deletion.resourceType} deletion timed out, check the remaining "${resourceGuid}" resource`,
  };
}

async function mayFollow(context: RequestContext, deletion: Deletion, resource: StoredObject): Promise<boolean> {
  if (resource.metadata.annotations?.[deletedByAnnotation] === context.auth.identity.name) return true;
  const { own, ancestors } = deletion.visibleThrough(context, resource);
  return context.visibility.canSeeFrom(own, ancestors);
}
