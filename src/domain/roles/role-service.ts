import { notAuthorized, resourceNotFound, unprocessableEntity } from '../../errors/api-error.ts';
import { isStoreError } from '../../store/errors.ts';
import { deleteAsCallerThenAnnotateAsServer } from '../jobs/deletion.ts';
import type { RequestContext } from '../request-context.ts';
import { apiErrorOf, mayI, referenced } from '../store-failures.ts';
import { invalidOrganization, invalidSpace } from '../tenancy/reference-errors.ts';
import { getOrg } from '../tenancy/org-service.ts';
import { getSpace, orgGuidOf } from '../tenancy/space-service.ts';
import { cfRoleOfBinding, isOrganizationRole, type AssignableRoleType, type CfRoleRecord } from './cf-role-records.ts';
import { newRoleBinding, subjectOfUser } from './role-binding.ts';

export type RoleFilters = {
  guids?: readonly string[];
  types?: readonly string[];
  spaceGuids?: readonly string[];
  organizationGuids?: readonly string[];
  userGuids?: readonly string[];
};

export type RoleCreate = {
  type: AssignableRoleType;
  user: { guid?: string | undefined; username?: string | undefined; origin?: string | undefined };
  organizationGuid?: string | undefined;
  spaceGuid?: string | undefined;
};

const resourceType = 'Role';

/** The org and space roles in namespaces the caller can see (one privileged read, cut down by the shared rule). */
export async function listRoles(context: RequestContext, filters: RoleFilters): Promise<CfRoleRecord[]> {
  const bindings = await context.visibility.roleBindings();
  return bindings.map(cfRoleOfBinding).filter((role): role is CfRoleRecord => role !== undefined && matchesRoleFilters(role, filters));
}

function matchesRoleFilters(role: CfRoleRecord, filters: RoleFilters): boolean {
  const organizationRole = isOrganizationRole(role.type);
  if (filters.guids && !filters.guids.includes(role.guid)) return false;
  if (filters.types && !filters.types.includes(role.type)) return false;
  if (filters.userGuids && !filters.userGuids.includes(role.userGuid)) return false;
  if (filters.organizationGuids && !(organizationRole && filters.organizationGuids.includes(role.targetGuid))) return false;
  return !filters.spaceGuids || (!organizationRole && filters.spaceGuids.includes(role.targetGuid));
}

export async function getRole(context: RequestContext, guid: string): Promise<CfRoleRecord> {
  const [role] = await listRoles(context, { guids: [guid] });
  if (!role) throw resourceNotFound(resourceType);
  return role;
}

/**
 * Gives a user an org or space role: a RoleBinding in the org's or space's namespace, made as the
 * caller (so only those allowed to grant it can), plus the root-namespace role every CF user needs to
 * see orgs and domains.
 */
export async function createRole(context: RequestContext, request: RoleCreate): Promise<CfRoleRecord> {
  const userName = userNameOf(request.user);
  const namespace = await targetNamespace(context, request, userName);
  const binding = newRoleBinding(request.type, userName, namespace);
  let created;
  try {
    created = await context.user.create(binding);
  } catch (error) {
    if (!isStoreError(error, 'AlreadyExists')) throw apiErrorOf(error, resourceType);
    // A grant repeated after a failure half-way still leaves the user with their root-namespace role.
    await ensureRootRole(context, userName);
    throw unprocessableEntity(`User '${userName}' already has '${request.type}' role`);
  }
  await ensureRootRole(context, userName);
  const role = cfRoleOfBinding(created);
  if (!role) throw new Error(`the RoleBinding made for a ${request.type} role is not one`);
  return role;
}

/** The `cf_user` role in the root namespace that every CF user needs to read orgs and domains. */
async function ensureRootRole(context: RequestContext, userName: string): Promise<void> {
  try {
    await context.server.create(newRoleBinding('cf_user', userName, context.config.rootNamespace));
  } catch (error) {
    if (!isStoreError(error, 'AlreadyExists')) throw apiErrorOf(error, resourceType);
  }
}

/** `guid` names the user when given; otherwise `username`, prefixed with `origin:` when an origin is given. */
function userNameOf(user: RoleCreate['user']): string {
  if (user.guid !== undefined) return user.guid;
  const username = user.username ?? '';
  return user.origin ? `${user.origin}:${username}` : username;
}

async function targetNamespace(context: RequestContext, request: RoleCreate, userName: string): Promise<string> {
  if (request.organizationGuid !== undefined && request.spaceGuid !== undefined) {
    throw unprocessableEntity("cannot pass both 'organization' and 'space' in a create role request");
  }
  if (isOrganizationRole(request.type)) {
    if (request.organizationGuid === undefined)
      throw unprocessableEntity('relationships.organization is required for an organization role');
    const org = await referenced(getOrg(context, request.organizationGuid), invalidOrganization);
    await requireGrantPermission(context, org.metadata.name);
    return org.metadata.name;
  }
  if (request.spaceGuid === undefined) throw unprocessableEntity('relationships.space is required for a space role');
  const space = await referenced(getSpace(context, request.spaceGuid), invalidSpace);
  // Asked before looking at the user's org roles, so that who holds roles is not told to just anyone.
  await requireGrantPermission(context, space.metadata.name);
  await requireOrgRole(context, orgGuidOf(space), userName);
  return space.metadata.name;
}

async function requireGrantPermission(context: RequestContext, namespace: string): Promise<void> {
  if (!(await mayI(context, 'create', { kind: 'RoleBinding', namespace }, resourceType))) throw notAuthorized();
}

/** As in CF, a space role needs some role in the space's organization first. */
async function requireOrgRole(context: RequestContext, orgGuid: string, userName: string): Promise<void> {
  const subject = subjectOfUser(userName);
  const identity = {
    name: userName,
    kind: subject.kind === 'ServiceAccount' ? ('ServiceAccount' as const) : ('User' as const),
    groups: [],
  };
  // Holding a role in the org is what makes the org visible to them.
  if (!(await context.visibility.of(identity).canSee(orgGuid))) {
    throw unprocessableEntity("Users cannot be assigned roles in a space if they do not have a role in that space's organization.");
  }
}

/** Takes a role away; the root-namespace role stays, as in Korifi. */
export async function deleteRole(context: RequestContext, guid: string): Promise<void> {
  const role = await getRole(context, guid);
  const { name, namespace = '' } = role.binding.metadata;
  await deleteAsCallerThenAnnotateAsServer(context, { kind: 'RoleBinding', namespace, name }, resourceType);
}
