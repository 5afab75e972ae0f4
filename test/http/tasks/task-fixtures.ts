import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { eventually } from '../../store/fixture.ts';
import type { CfClient } from '../tenancy/cf-client.ts';
import { createApp as createAppWith, giveDroplet as giveDropletWith, type App } from '../lifecycle-fixtures.ts';

export type { App };

export type Task = components['schemas']['Task'];

export const unknownGuid = '00000000-0000-4000-8000-000000000000';

/** An app created through the API, with the given environment (e.g. `SCRIPTED_TASK`). */
export function createApp(cf: CfClient, spaceGuid: string, environment: Record<string, string> = {}): Promise<App> {
  return createAppWith(cf, spaceGuid, { environment_variables: environment });
}

/** Gives the app a current droplet without the build slice, with the scripted runtime's web process. */
export const giveDroplet = (cf: CfClient, app: App): Promise<string> =>
  giveDropletWith(cf, app, [{ type: 'web', command: 'scripted-web' }]);

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
