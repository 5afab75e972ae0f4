import {
  createApp as createAppIn,
  deleteApp as deleteAppIn,
  getApp as getAppIn,
  listApps as listAppsIn,
  type App,
} from '../domain/apps/app-service.ts';
import { getEnvironmentVariables, updateEnvironmentVariables } from '../domain/apps/app-environment.ts';
import { updateApp as updateAppIn } from '../domain/apps/app-update.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentApp } from '../presenters/app.ts';
import { deletionAccepted } from './jobs.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';

const appSortFields = { ...timestampFields, name: (app: App) => app.spec.displayName, state: (app: App) => app.spec.desiredState };

const listApps: OperationHandler<'listApps'> = async ({ query }, scope) => {
  const filters = {
    ...present({ names: query.names, guids: query.guids, spaceGuids: query.space_guids, organizationGuids: query.organization_guids }),
    ...labelSelectorOf(query),
  };
  const apps = await listAppsIn(requestContext(scope), filters);
  const baseUrl = scope.runtime.config.externalUrl;
  return { status: 200, body: pageOf(scope, apps, query, { sortFields: appSortFields, present: (app) => presentApp(app, baseUrl) }) };
};

const getApp: OperationHandler<'getApp'> = async ({ path }, scope) => {
  const app = await getAppIn(requestContext(scope), path.guid, { readOnly: true });
  return { status: 200, body: presentApp(app, scope.runtime.config.externalUrl) };
};

const createApp: OperationHandler<'createApp'> = async ({ body }, scope) => {
  const request = {
    name: body.name,
    spaceGuid: body.relationships.space.data.guid,
    environmentVariables: body.environment_variables,
    lifecycle: body.lifecycle,
    metadata: body.metadata,
  };
  const app = await createAppIn(requestContext(scope), request);
  return { status: 201, body: presentApp(app, scope.runtime.config.externalUrl) };
};

const updateApp: OperationHandler<'updateApp'> = async ({ path, body }, scope) => {
  const app = await updateAppIn(requestContext(scope), path.guid, { name: body.name, lifecycle: body.lifecycle, metadata: body.metadata });
  return { status: 200, body: presentApp(app, scope.runtime.config.externalUrl) };
};

const deleteApp: OperationHandler<'deleteApp'> = async ({ path }, scope) => {
  await deleteAppIn(requestContext(scope), path.guid);
  return deletionAccepted(scope, 'app.delete', path.guid);
};

/** The user-provided environment variables document: the variables and where they belong. */
const presentEnvironmentVariables = (variables: Record<string, string>, baseUrl: string, guid: string) => ({
  var: variables,
  links: { self: { href: `${baseUrl}/v3/apps/${guid}/environment_variables` }, app: { href: `${baseUrl}/v3/apps/${guid}` } },
});

const getAppEnvironmentVariables: OperationHandler<'getAppEnvironmentVariables'> = async ({ path }, scope) => {
  const variables = await getEnvironmentVariables(requestContext(scope), path.guid);
  return { status: 200, body: presentEnvironmentVariables(variables, scope.runtime.config.externalUrl, path.guid) };
};

const updateAppEnvironmentVariables: OperationHandler<'updateAppEnvironmentVariables'> = async ({ path, body }, scope) => {
  const variables = await updateEnvironmentVariables(requestContext(scope), path.guid, body.var);
  return { status: 200, body: presentEnvironmentVariables(variables, scope.runtime.config.externalUrl, path.guid) };
};

export const appHandlers = {
  listApps,
  getApp,
  createApp,
  updateApp,
  deleteApp,
  getAppEnvironmentVariables,
  updateAppEnvironmentVariables,
} satisfies Partial<HandlerMap>;
