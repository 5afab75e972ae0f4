import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import type { StoredObject } from '../../../src/store/objects.ts';
import { eventually, uniqueName } from '../../store/fixture.ts';
import type { CfClient } from '../tenancy/cf-client.ts';
import type { AuthHeaders } from '../tenancy/resources.ts';
import { createApp as createAppWith, giveDroplet, type App, type ProcessType } from '../lifecycle-fixtures.ts';

export { giveDroplet, type App, type ProcessType };

export type Process = components['schemas']['Process'];
export type ProcessStats = components['schemas']['ProcessStats'];

/** An app with these environment variables (e.g. `SCRIPTED_INSTANCES`), and a name if given. */
export function createApp(cf: CfClient, spaceGuid: string, env: Record<string, string> = {}, name = uniqueName('app')): Promise<App> {
  return createAppWith(cf, spaceGuid, { name, environment_variables: env });
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
