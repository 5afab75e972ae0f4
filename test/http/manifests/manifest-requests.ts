import { stringify } from 'yaml';
import type { CfClient, CfUser } from '../tenancy/cf-client.ts';
import type { AuthHeaders, Space } from '../tenancy/resources.ts';

/** Sends a manifest as the cf CLI does: YAML, to a space's apply_manifest action (or its manifest_diff). */
export function postManifest(cf: CfClient, spaceGuid: string, manifest: unknown, options: { action?: string; as?: AuthHeaders } = {}) {
  const { action = 'actions/apply_manifest', as } = options;
  return cf.server.request(`/v3/spaces/${spaceGuid}/${action}`, {
    method: 'POST',
    headers: { ...(as ?? cf.admin), 'Content-Type': 'application/x-yaml' },
    body: typeof manifest === 'string' ? manifest : stringify(manifest),
  });
}

/** What the manifest suites start from: two spaces of one org, a developer and a manager of the first, the default domain. */
export type ManifestWorld = { orgGuid: string; space: Space; otherSpace: Space; developer: CfUser; manager: CfUser; domainName: string };

export async function manifestWorld(cf: CfClient): Promise<ManifestWorld> {
  const orgGuid = (await cf.createOrg()).guid;
  const space = await cf.createSpace(orgGuid);
  const otherSpace = await cf.createSpace(orgGuid);
  const developer = await cf.newUser('dev');
  await cf.grant(developer.name, 'organization_user', { organization: orgGuid });
  await cf.grant(developer.name, 'space_developer', { space: space.guid });
  const manager = await cf.newUser('mgr');
  await cf.grant(manager.name, 'organization_user', { organization: orgGuid });
  await cf.grant(manager.name, 'space_manager', { space: space.guid });
  return { orgGuid, space, otherSpace, developer, manager, domainName: cf.server.config.defaultDomain };
}
