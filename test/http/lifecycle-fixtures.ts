import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { components } from '../../generated/openapi-types.ts';
import { uniqueName } from '../store/fixture.ts';
import type { CfClient } from './tenancy/cf-client.ts';

/** What the app-lifecycle suites share: making an app, and giving it a droplet without the builds API. */

export type App = components['schemas']['App'];
export type ProcessType = { type: string; command: string };

/** An app created through the API as the admin; `extra` adds to the request (environment, lifecycle, name). */
export async function createApp(cf: CfClient, spaceGuid: string, extra: Record<string, unknown> = {}): Promise<App> {
  const response = await cf.post('/v3/apps', {
    name: uniqueName('app'),
    relationships: { space: { data: { guid: spaceGuid } } },
    ...extra,
  });
  expect(response.status, response.text).to.equal(201);
  return response.body as App;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Gives the app a droplet without the builds API: a CFBuild written through the store, its status set
 * STAGED with the process types (rewritten until it sticks, in case the build controller wrote its own
 * verdict on the package-less build in between), then made the app's current droplet. Answers the
 * droplet's GUID.
 */
export async function giveDroplet(
  cf: CfClient,
  app: App,
  processTypes: ProcessType[] = [{ type: 'web', command: 'run-web' }],
): Promise<string> {
  const session = cf.server.store.privileged();
  const namespace = app.relationships.space.data.guid;
  const guid = randomUUID();
  const build = await session.create({
    kind: 'CFBuild',
    metadata: { name: guid, namespace },
    spec: {
      packageRef: { name: randomUUID() },
      appRef: { name: app.guid },
      stagingMemoryMB: 1024,
      stagingDiskMB: 0,
      lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs3' } },
    },
  });
  const ref = { kind: 'CFBuild' as const, namespace, name: build.metadata.name };
  const staged = {
    state: 'STAGED',
    droplet: { registry: { image: `scripted://droplets/${guid}` }, stack: 'cflinuxfs3', processTypes, ports: [8080] },
  };
  for (let attempt = 0; attempt < 20; attempt++) {
    await session.patchStatus(ref, staged);
    await pause(100);
    if ((await session.get(ref)).status?.state === 'STAGED') break;
  }
  expect((await session.get(ref)).status?.state).to.equal('STAGED');
  await session.patch({ kind: 'CFApp', namespace, name: app.guid }, { spec: { currentDropletRef: { name: guid } } });
  return guid;
}
