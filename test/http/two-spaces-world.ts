import type { CfClient, CfUser } from './tenancy/cf-client.ts';
import type { Organization, Space } from './tenancy/resources.ts';

/** What several suites start from: an org with two spaces, a developer and a manager of the first. */
export type TwoSpacesWorld = { org: Organization; space: Space; otherSpace: Space; developer: CfUser; manager: CfUser };

export async function twoSpacesWorld(cf: CfClient): Promise<TwoSpacesWorld> {
  const org = await cf.createOrg();
  const space = await cf.createSpace(org.guid);
  const otherSpace = await cf.createSpace(org.guid);
  const developer = await cf.newUser('dev');
  await cf.grant(developer.name, 'organization_user', { organization: org.guid });
  await cf.grant(developer.name, 'space_developer', { space: space.guid });
  const manager = await cf.newUser('manager');
  await cf.grant(manager.name, 'organization_user', { organization: org.guid });
  await cf.grant(manager.name, 'space_manager', { space: space.guid });
  return { org, space, otherSpace, developer, manager };
}
