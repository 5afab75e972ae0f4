import type { RequestContext } from '../request-context.ts';
import { listRoles } from '../roles/role-service.ts';

/** A user as CF shows it. Kubernetes has no user objects: a user is a name that roles are bound to. */
export type CfUser = {
  guid: string;
  /** When the user was first given a role (its oldest role binding the caller can see). */
  firstRoleAt?: string;
  lastRoleAt?: string;
};

export type UserFilters = {
  guids?: readonly string[];
  usernames?: readonly string[];
  partialUsernames?: readonly string[];
  origins?: readonly string[];
};

/**
 * Users holding roles the caller can see, plus every name asked for in `usernames` or `guids`: in
 * Kubernetes any name is a valid user, so the cf CLI's "find the user named X" always finds one (as
 * with Korifi), and a role can be given to a user who holds none yet.
 */
export async function listUsers(context: RequestContext, filters: UserFilters): Promise<CfUser[]> {
  const roles = await listRoles(context, {});
  const byName = new Map<string, CfUser>();
  for (const role of roles) {
    const time = role.binding.metadata.creationTimestamp ?? '';
    const user = byName.get(role.userGuid) ?? { guid: role.userGuid };
    if (user.firstRoleAt === undefined || time < user.firstRoleAt) user.firstRoleAt = time;
    if (user.lastRoleAt === undefined || time > user.lastRoleAt) user.lastRoleAt = time;
    byName.set(role.userGuid, user);
  }
  for (const name of [...(filters.usernames ?? []), ...(filters.guids ?? [])]) if (!byName.has(name)) byName.set(name, { guid: name });
  return [...byName.values()].filter((user) => matchesUserFilters(user, filters)).sort((a, b) => a.guid.localeCompare(b.guid));
}

function matchesUserFilters(user: CfUser, filters: UserFilters): boolean {
  if (filters.guids && !filters.guids.includes(user.guid)) return false;
  if (filters.usernames && !filters.usernames.includes(user.guid)) return false;
  if (filters.partialUsernames && !filters.partialUsernames.some((part) => user.guid.includes(part))) return false;
  // Kubernetes users have no identity provider; the cf CLI's default origin, uaa, stands for "none".
  return !filters.origins || filters.origins.includes('uaa');
}

export async function getUser(context: RequestContext, guid: string): Promise<CfUser> {
  const [user] = await listUsers(context, { guids: [guid] });
  return user ?? { guid };
}
