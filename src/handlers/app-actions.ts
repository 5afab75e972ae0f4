import { getAppEnvironment as getAppEnvironmentIn } from '../domain/apps/app-env-document.ts';
import {
  getAppFeature as getAppFeatureIn,
  getAppSshEnabled as getAppSshEnabledIn,
  listAppFeatures as listAppFeaturesIn,
  updateAppFeature as updateAppFeatureIn,
} from '../domain/apps/app-features.ts';
import { restartApp as restartAppIn, startApp as startAppIn, stopApp as stopAppIn } from '../domain/apps/app-state.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { paginate } from '../lists/pagination.ts';
import { presentApp } from '../presenters/app.ts';

const startApp: OperationHandler<'startApp'> = async ({ path }, scope) => {
  const app = await startAppIn(requestContext(scope), path.guid);
  return { status: 200, body: presentApp(app, scope.runtime.config.externalUrl) };
};

const stopApp: OperationHandler<'stopApp'> = async ({ path }, scope) => {
  const app = await stopAppIn(requestContext(scope), path.guid);
  return { status: 200, body: presentApp(app, scope.runtime.config.externalUrl) };
};

const restartApp: OperationHandler<'restartApp'> = async ({ path }, scope) => {
  const app = await restartAppIn(requestContext(scope), path.guid);
  return { status: 200, body: presentApp(app, scope.runtime.config.externalUrl) };
};

const getAppEnvironment: OperationHandler<'getAppEnvironment'> = async ({ path }, scope) => ({
  status: 200,
  body: await getAppEnvironmentIn(requestContext(scope), path.guid),
});

/** Both features on one page, whatever the request (the operation takes no paging parameters). */
const listAppFeatures: OperationHandler<'listAppFeatures'> = async ({ path }, scope) => {
  const features = await listAppFeaturesIn(requestContext(scope), path.guid);
  return { status: 200, body: paginate([...features], { page: 1, perPage: Math.max(features.length, 1) }, scope.requestUrl) };
};

const getAppFeature: OperationHandler<'getAppFeature'> = async ({ path }, scope) => ({
  status: 200,
  body: await getAppFeatureIn(requestContext(scope), path.guid, path.name),
});

const updateAppFeature: OperationHandler<'updateAppFeature'> = async ({ path, body }, scope) => ({
  status: 200,
  body: await updateAppFeatureIn(requestContext(scope), path.guid, path.name, body.enabled),
});

const getAppSshEnabled: OperationHandler<'getAppSshEnabled'> = async ({ path }, scope) => ({
  status: 200,
  body: await getAppSshEnabledIn(requestContext(scope), path.guid),
});

export const appActionHandlers = {
  startApp,
  stopApp,
  restartApp,
  getAppEnvironment,
  listAppFeatures,
  getAppFeature,
  updateAppFeature,
  getAppSshEnabled,
} satisfies Partial<HandlerMap>;
