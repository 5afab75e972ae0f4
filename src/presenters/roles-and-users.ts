import type { components } from '../../generated/openapi-types.ts';
import { isOrganizationRole, type CfRoleRecord } from '../domain/roles/cf-role-records.ts';
import type { CfUser } from '../domain/users/user-service.ts';
import { presentTimestamps, secondsUtc } from './resource-basics.ts';

type Schemas = components['schemas'];

/** User GUIDs are Kubernetes subject names, which may hold `:` and other characters a path must escape. */
export const userUrl = (baseUrl: string, guid: string): string => `${baseUrl}/v3/users/${encodeURIComponent(guid)}`;

export function presentRole(role: CfRoleRecord, baseUrl: string): Schemas['Role'] {
  const target = { data: { guid: role.targetGuid } };
  const organizationRole = isOrganizationRole(role.type);
  const links = { self: { href: `${baseUrl}/v3/roles/${role.guid}` }, user: { href: userUrl(baseUrl, role.userGuid) } };
  return {
    guid: role.guid,
    ...presentTimestamps(role.binding),
    type: role.type,
    relationships: {
      user: { data: { guid: role.userGuid } },
      organization: organizationRole ? target : { data: null },
      space: organizationRole ? { data: null } : target,
    },
    links: organizationRole
      ? { ...links, organization: { href: `${baseUrl}/v3/organizations/${role.targetGuid}` } }
      : { ...links, space: { href: `${baseUrl}/v3/spaces/${role.targetGuid}` } },
  };
}

export function presentUser(user: CfUser, baseUrl: string): Schemas['User'] {
  return {
    guid: user.guid,
    ...(user.firstRoleAt === undefined ? {} : { created_at: secondsUtc(user.firstRoleAt) }),
    ...(user.lastRoleAt === undefined ? {} : { updated_at: secondsUtc(user.lastRoleAt) }),
    username: user.guid,
    presentation_name: user.guid,
    origin: null,
    metadata: { labels: {}, annotations: {} },
    links: { self: { href: userUrl(baseUrl, user.guid) } },
  };
}
