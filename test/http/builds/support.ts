import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { eventually } from '../../store/fixture.ts';
import type { CfClient } from '../tenancy/cf-client.ts';
import type { AuthHeaders } from '../tenancy/resources.ts';
import { createApp } from '../lifecycle-fixtures.ts';

export { createApp };

type Schemas = components['schemas'];
export type App = Schemas['App'];
export type Build = Schemas['Build'];
export type Droplet = Schemas['Droplet'];

export async function setEnvironment(cf: CfClient, appGuid: string, variables: Record<string, string>): Promise<void> {
  const response = await cf.patch(`/v3/apps/${appGuid}/environment_variables`, { var: variables });
  expect(response.status, response.text).to.equal(200);
}

/**
 * A package written behind the API, as Korifi stores one: a docker package is READY once its image is
 * set (an empty image is a package still awaiting its source).
 */
export async function storePackage(cf: CfClient, app: App, options: { image?: string; type?: 'bits' | 'docker' } = {}): Promise<string> {
  const guid = randomUUID();
  await cf.server.store.privileged().create({
    kind: 'CFPackage',
    metadata: { name: guid, namespace: app.relationships.space.data.guid },
    spec: {
      type: options.type ?? 'docker',
      appRef: { name: app.guid },
      source: { registry: { image: options.image ?? 'registry.example.test/team/app:1.0' } },
    },
  });
  return guid;
}

export async function createBuild(
  cf: CfClient,
  packageGuid: string,
  extra: Record<string, unknown> = {},
  as?: AuthHeaders,
): Promise<Build> {
  const response = await cf.post('/v3/builds', { package: { guid: packageGuid }, ...extra }, as);
  expect(response.status, response.text).to.equal(201);
  return response.body as Build;
}

/** Polls the build, as the cf CLI does, until it is no longer STAGING. */
export async function finished(cf: CfClient, guid: string): Promise<Build> {
  return eventually(async () => {
    const response = await cf.get(`/v3/builds/${guid}`);
    expect(response.status, response.text).to.equal(200);
    const build = response.body as Build;
    expect(build.state).to.not.equal('STAGING');
    return build;
  }, 30_000);
}

/** An app with a staged droplet: the app, its package, and the droplet. */
export async function stagedDroplet(
  cf: CfClient,
  spaceGuid: string,
  options: { environment?: Record<string, string>; app?: App } = {},
): Promise<{ app: App; packageGuid: string; droplet: Droplet }> {
  const app = options.app ?? (await createApp(cf, spaceGuid));
  if (options.environment) await setEnvironment(cf, app.guid, options.environment);
  const packageGuid = await storePackage(cf, app);
  const build = await finished(cf, (await createBuild(cf, packageGuid)).guid);
  expect(build.state, JSON.stringify(build)).to.equal('STAGED');
  const response = await cf.get(`/v3/droplets/${build.guid}`);
  expect(response.status, response.text).to.equal(200);
  return { app, packageGuid, droplet: response.body as Droplet };
}
