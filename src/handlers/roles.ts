import { requestContext, type RequestContext } from '../domain/request-context.ts';
import type { CfRoleRecord } from '../domain/roles/cf-role-records.ts';
import { isOrganizationRole } from '../domain/roles/cf-role-records.ts';
import {
  createRole as createRoleIn,
  deleteRole as deleteRoleIn,
  getRole as getRoleIn,
  listRoles as listRolesIn,
} from '../domain/roles/role-service.ts';
import { listOrgs } from '../domain/tenancy/org-service.ts';
import { listSpaces } from '../domain/tenancy/space-service.ts';
import { listUsers } from '../domain/users/user-service.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { deletionAccepted } from './jobs.ts';
import { presentRole, presentUser } from '../presenters/roles-and-users.ts';
import { presentOrganization, presentSpace } from '../presenters/tenancy.ts';
import { pageOf, present, timestampFields } from './list-pages.ts';

/** A role's times are its RoleBinding's. */
const roleSortFields = {
  created_at: (role: CfRoleRecord) => timestampFields['created_at']!(role.binding),
  updated_at: (role: CfRoleRecord) => timestampFields['updated_at']!(role.binding),
};

type Include = 'user' | 'space' | 'organization';

/** The users, spaces and organizations of a page of roles, each once, as `include` asks for them. */
async function includedFor(context: RequestContext, roles: readonly CfRoleRecord[], include: readonly Include[]) {
  const baseUrl = context.config.externalUrl;
  const targets = (organizations: boolean) => [
    ...new Set(roles.filter((role) => isOrganizationRole(role.type) === organizations).map((role) => role.targetGuid)),
  ];
  const included: {
    users?: ReturnType<typeof presentUser>[];
    spaces?: ReturnType<typeof presentSpace>[];
    organizations?: ReturnType<typeof presentOrganization>[];
  } = {};
  if (include.includes('user')) {
    const guids = [...new Set(roles.map((role) => role.userGuid))];
    included.users = guids.length === 0 ? [] : (await listUsers(context, { guids })).map((user) => presentUser(user, baseUrl));
  }
  if (include.includes('space')) {
    const guids = targets(false);
    included.spaces = guids.length === 0 ? [] : (await listSpaces(context, { guids })).map((space) => presentSpace(space, baseUrl));
  }
  if (include.includes('organization')) {
    const guids = targets(true);
    included.organizations = guids.length === 0 ? [] : (await listOrgs(context, { guids })).map((org) => presentOrganization(org, baseUrl));
  }
  return included;
}

const listRoles: OperationHandler<'listRoles'> = async ({ query }, scope) => {
  const context = requestContext(scope);
  const filters = present({
    guids: query.guids,
    types: query.types,
    spaceGuids: query.space_guids,
    organizationGuids: query.organization_guids,
    userGuids: query.user_guids,
  });
  const roles = await listRolesIn(context, filters);
  const page = pageOf(scope, roles, query, { sortFields: roleSortFields, present: (role) => role });
  const body = { pagination: page.pagination, resources: page.resources.map((role) => presentRole(role, context.config.externalUrl)) };
  if (!query.include || query.include.length === 0) return { status: 200, body };
  return { status: 200, body: { ...body, included: await includedFor(context, page.resources, query.include) } };
};

const getRole: OperationHandler<'getRole'> = async ({ path }, scope) => {
  const role = await getRoleIn(requestContext(scope), path.guid);
  return { status: 200, body: presentRole(role, scope.runtime.config.externalUrl) };
};

const createRole: OperationHandler<'createRole'> = async ({ body }, scope) => {
  const { relationships } = body;
  const role = await createRoleIn(requestContext(scope), {
    type: body.type,
    // The schema's anyOf (guid or username) is typed loosely by the generator; validation has checked it.
    user: relationships.user.data as { guid?: string; username?: string; origin?: string },
    organizationGuid: relationships.organization?.data.guid,
    spaceGuid: relationships.space?.data.guid,
  });
  return { status: 201, body: presentRole(role, scope.runtime.config.externalUrl) };
};

const deleteRole: OperationHandler<'deleteRole'> = async ({ path }, scope) => {
  await deleteRoleIn(requestContext(scope), path.guid);
  return deletionAccepted(scope, 'role.delete', path.guid);
};

export const roleHandlers = { listRoles, getRole, createRole, deleteRole } satisfies Partial<HandlerMap>;
