import { stringify } from 'yaml';
import type { CfClient } from '../tenancy/cf-client.ts';
import type { AuthHeaders } from '../tenancy/resources.ts';
import { twoSpacesWorld, type TwoSpacesWorld } from '../two-spaces-world.ts';

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
export type ManifestWorld = Omit<TwoSpacesWorld, 'org'> & { domainName: string };

export async function manifestWorld(cf: CfClient): Promise<ManifestWorld> {
  return { ...(await twoSpacesWorld(cf)), domainName: cf.server.config.defaultDomain };
}
