import { isStoreError } from '../../store/errors.ts';
import type { StoreSession } from '../../store/port.ts';
import { builtInClusterRoles } from '../roles/cluster-role-manifests.ts';
import { newRoleBinding } from '../roles/role-binding.ts';
import { ensureClusterRole } from './cluster-roles.ts';
import { ensureDefaultDomain } from './default-domain.ts';
import { createUnlessExists } from './idempotent-writes.ts';

export type PlatformOptions = {
  rootNamespace: string;
  /** The domain of default routes; a CFDomain for it is created in the root namespace. */
  defaultDomain: string;
  /** A user to make CF `admin` in the root namespace when this start created it (a new store). */
  initialAdmin?: string;
  /** Create or update the CF roles' ClusterRoles (the embedded backend; on Kubernetes `crds:install` applies them). */
  installClusterRoles?: boolean;
};

/** What `ensurePlatform` changed; all empty on every start after the first. */
export type PlatformChanges = {
  createdRootNamespace: boolean;
  createdClusterRoles: string[];
  updatedClusterRoles: string[];
  /** The GUID of the default domain's CFDomain, when this call created it. */
  createdDefaultDomain?: string;
  /** The user that got the CF `admin` role, when this call granted it. */
  grantedInitialAdmin?: string;
};

/**
 * Makes sure the store holds what the API needs before it serves: the root namespace, the CF roles'
 * ClusterRoles (when asked), the default domain and, on a new store, the initial admin's role. Safe at
 * every start and in several processes at once; `session` must be privileged.
 */
export async function ensurePlatform(session: StoreSession, options: PlatformOptions): Promise<PlatformChanges> {
  const { rootNamespace } = options;
  // Looked up first: a server that does not create namespaces (next to Korifi, whose root namespace
  // exists) holds no permission to, and a forbidden create would fail even for a namespace that exists.
  const createdRootNamespace =
    !(await namespaceExists(session, rootNamespace)) &&
    (await createUnlessExists(() => session.create({ kind: 'Namespace', metadata: { name: rootNamespace } })));
  const changes: PlatformChanges = { createdRootNamespace, createdClusterRoles: [], updatedClusterRoles: [] };
  if (options.installClusterRoles === true) {
    for (const clusterRole of await builtInClusterRoles()) {
      const change = await ensureClusterRole(session, clusterRole);
      if (change === 'created') changes.createdClusterRoles.push(clusterRole.metadata.name);
      if (change === 'updated') changes.updatedClusterRoles.push(clusterRole.metadata.name);
    }
  }
  const domainGuid = await ensureDefaultDomain(session, rootNamespace, options.defaultDomain);
  if (domainGuid !== undefined) changes.createdDefaultDomain = domainGuid;
  // Only on a new store: an admin who was later removed on purpose must not come back at the next start.
  if (createdRootNamespace && options.initialAdmin !== undefined) {
    const admin = options.initialAdmin;
    if (await createUnlessExists(() => session.create(newRoleBinding('admin', admin, rootNamespace)))) changes.grantedInitialAdmin = admin;
  }
  return changes;
}

async function namespaceExists(session: StoreSession, name: string): Promise<boolean> {
  try {
    await session.get({ kind: 'Namespace', name });
    return true;
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return false;
    throw error;
  }
}

/** One line for the start-up log. */
export function describePlatformChanges(changes: PlatformChanges, options: PlatformOptions): string {
  const done = [
    changes.createdRootNamespace ? `created root namespace ${options.rootNamespace}` : undefined,
    changes.createdClusterRoles.length > 0 ? `created ${changes.createdClusterRoles.length} CF ClusterRoles` : undefined,
    changes.updatedClusterRoles.length > 0 ? `updated ClusterRoles ${changes.updatedClusterRoles.join(', ')}` : undefined,
    changes.createdDefaultDomain !== undefined ? `created default domain ${options.defaultDomain}` : undefined,
    changes.grantedInitialAdmin !== undefined ? `made ${changes.grantedInitialAdmin} CF admin` : undefined,
  ].filter((part) => part !== undefined);
  return done.length > 0
    ? `Platform: ${done.join('; ')}.`
    : `Platform: root namespace ${options.rootNamespace} and default domain in place.`;
}
