import { userNotFound } from '../../errors/api-error.ts';
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
 * The users the caller can see, as in CF: themselves, and everyone holding a role in an org or space
 * the caller can see (from the role bindings visible to them). Keyed by GUID.
 */
async function visibleUsers(context: RequestContext): Promise<Map<string, CfUser>> {
  const byName = new Map<string, CfUser>([[context.auth.identity.name, { guid: context.auth.identity.name }]]);
  for (const role of await listRoles(context, {})) {
    const time = role.binding.metadata.creationTimestamp ?? '';
    const user = byName.get(role.userGuid) ?? { guid: role.userGuid };
    if (user.firstRoleAt === undefined || time < user.firstRoleAt) user.firstRoleAt = time;
    if (user.lastRoleAt === undefined || time > user.lastRoleAt) user.lastRoleAt = time;
    byName.set(role.userGuid, user);
  }
  return byName;
}

/**
 * The users the caller can see, plus every name asked for in `usernames`: that is how the cf CLI
 * finds a user by name, and as with Korifi any name is a user there, so a role can be given to one who
 * holds none yet. `guids` only selects among the visible users, as `GET /v3/users/{guid}` does.
 */
export async function listUsers(context: RequestContext, filters: UserFilters): Promise<CfUser[]> {
  const byName = await visibleUsers(context);
  for (const name of filters.usernames ?? []) if (!byName.has(name)) byName.set(name, { guid: name });
  return [...byName.values()].filter((user) => matchesUserFilters(user, filters)).sort((a, b) => a.guid.localeCompare(b.guid));
}

function matchesUserFilters(user: CfUser, filters: UserFilters): boolean {
  if (filters.guids && !filters.guids.includes(user.guid)) return false;
  if (filters.usernames && !filters.usernames.includes(user.guid)) return false;
  if (filters.partialUsernames && !filters.partialUsernames.some((part) => user.guid.includes(part))) return false;
  // Kubernetes users have no identity provider; the cf CLI's default origin, uaa, stands for "none".
  return !filters.origins || filters.origins.includes('uaa');
}

/** A user the caller can see; any other name is 404 `User not found`, the detail the cf CLI looks for. */
export async function getUser(context: RequestContext, guid: string): Promise<CfUser> {
  const user = (await visibleUsers(context)).get(guid);
  if (!user) throw userNotFound();
  return user;
}
