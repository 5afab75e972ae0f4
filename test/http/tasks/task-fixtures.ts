import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { components } from '../../../generated/openapi-types.ts';
import { eventually, uniqueName } from '../../store/fixture.ts';
import type { CfClient } from '../tenancy/cf-client.ts';

export type Task = components['schemas']['Task'];
export type App = components['schemas']['App'];

export const unknownGuid = '00000000-0000-4000-8000-000000000000';

/** An app created through the API, with the given environment (e.g. `SCRIPTED_TASK`). */
export async function createApp(cf: CfClient, spaceGuid: string, environment: Record<string, string> = {}): Promise<App> {
  const response = await cf.post('/v3/apps', {
    name: uniqueName('app'),
    relationships: { space: { data: { guid: spaceGuid } } },
    environment_variables: environment,
  });
  expect(response.status, response.text).to.equal(201);
  return response.body as App;
}

/**
 * Gives the app a current droplet without the build slice: a STAGED CFBuild with a droplet, written
 * straight to the store as the server, and the app's `spec.currentDropletRef` pointing at it.
 */
export async function giveDroplet(cf: CfClient, app: App): Promise<string> {
  const session = cf.server.store.privileged();
  const namespace = app.relationships.space.data.guid;
  const guid = randomUUID();
  await session.create({
    kind: 'CFBuild',
    metadata: { name: guid, namespace },
    spec: {
      packageRef: { name: randomUUID() },
      appRef: { name: app.guid },
      stagingMemoryMB: 1024,
      stagingDiskMB: 1024,
      lifecycle: { type: 'buildpack', data: { buildpacks: [], stack: 'cflinuxfs3' } },
    },
  });
  await session.patchStatus(
    { kind: 'CFBuild', namespace, name: guid },
    {
      state: 'STAGED',
      droplet: {
        registry: { image: `scripted://droplets/${guid}`, imagePullSecrets: [] },
        stack: 'cflinuxfs3',
        processTypes: [{ type: 'web', command: 'scripted-web' }],
        ports: [8080],
      },
    },
  );
  await session.patch({ kind: 'CFApp', namespace, name: app.guid }, { spec: { currentDropletRef: { name: guid } } });
  return guid;
}

/** An app whose tasks do what `environment` scripts, with a current droplet. */
export async function appWithDroplet(
  cf: CfClient,
  spaceGuid: string,
  environment: Record<string, string> = {},
): Promise<{ app: App; dropletGuid: string }> {
  const app = await createApp(cf, spaceGuid, environment);
  return { app, dropletGuid: await giveDroplet(cf, app) };
}

export async function runTask(
  cf: CfClient,
  appGuid: string,
  body: Record<string, unknown> = { command: 'rake db:migrate' },
): Promise<Task> {
  const response = await cf.post(`/v3/apps/${appGuid}/tasks`, body);
  expect(response.status, response.text).to.equal(201);
  return response.body as Task;
}

export async function getTask(cf: CfClient, guid: string): Promise<Task> {
  const response = await cf.get(`/v3/tasks/${guid}`);
  expect(response.status, response.text).to.equal(200);
  return response.body as Task;
}

/** Polls the task, as `cf run-task --wait` does, until it is in `state`. */
export function waitForState(cf: CfClient, guid: string, state: Task['state'], timeoutMs = 20_000): Promise<Task> {
  return eventually(async () => {
    const task = await getTask(cf, guid);
    expect(task.state).to.equal(state);
    return task;
  }, timeoutMs);
}
