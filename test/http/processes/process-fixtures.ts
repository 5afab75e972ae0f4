import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { components } from '../../../generated/openapi-types.ts';
import type { StoredObject } from '../../../src/store/objects.ts';
import { eventually, uniqueName } from '../../store/fixture.ts';
import type { CfClient } from '../tenancy/cf-client.ts';
import type { AuthHeaders } from '../tenancy/resources.ts';

export type App = components['schemas']['App'];
export type Process = components['schemas']['Process'];
export type ProcessStats = components['schemas']['ProcessStats'];
export type ProcessType = { type: string; command: string };

export async function createApp(cf: CfClient, spaceGuid: string, env: Record<string, string> = {}, name = uniqueName('app')): Promise<App> {
  const response = await cf.post('/v3/apps', { name, relationships: { space: { data: { guid: spaceGuid } } }, environment_variables: env });
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

/** The app's processes through the API, once the app controller has made `count` of them. */
export async function processesOf(cf: CfClient, appGuid: string, count: number, as?: AuthHeaders): Promise<Process[]> {
  return eventually(async () => {
    const response = await cf.get(`/v3/apps/${appGuid}/processes`, as);
    expect(response.status, response.text).to.equal(200);
    const processes = (response.body as { resources: Process[] }).resources;
    expect(processes.map((process) => process.type).sort(), 'process types').to.have.length(count);
    return processes;
  });
}

/** An app with a droplet and its processes made: the common start of most tests. */
export async function appWithProcesses(
  cf: CfClient,
  spaceGuid: string,
  options: { env?: Record<string, string>; processTypes?: ProcessType[] } = {},
): Promise<{ app: App; droplet: string; processes: Process[] }> {
  const app = await createApp(cf, spaceGuid, options.env ?? {});
  const processTypes = options.processTypes ?? [{ type: 'web', command: 'run-web' }];
  const droplet = await giveDroplet(cf, app, processTypes);
  const types = new Set(['web', ...processTypes.map((processType) => processType.type)]);
  const processes = await processesOf(cf, app.guid, types.size);
  return { app, droplet, processes };
}

export async function stats(cf: CfClient, processGuid: string): Promise<ProcessStats['resources']> {
  const response = await cf.get(`/v3/processes/${processGuid}/stats`);
  expect(response.status, response.text).to.equal(200);
  return (response.body as ProcessStats).resources;
}

/** The instance states the stats report, by index. */
export async function statesOf(cf: CfClient, processGuid: string): Promise<string[]> {
  return (await stats(cf, processGuid)).map((entry) => entry.state);
}

export async function storedApp(cf: CfClient, app: App): Promise<StoredObject<'CFApp'>> {
  return cf.server.store.privileged().get({ kind: 'CFApp', namespace: app.relationships.space.data.guid, name: app.guid });
}

export async function storedProcess(cf: CfClient, process: Process, spaceGuid: string): Promise<StoredObject<'CFProcess'>> {
  return cf.server.store.privileged().get({ kind: 'CFProcess', namespace: spaceGuid, name: process.guid });
}
