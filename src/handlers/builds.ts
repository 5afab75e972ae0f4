import {
  createBuild as createBuildIn,
  getBuild as getBuildIn,
  listBuilds as listBuildsIn,
  updateBuild as updateBuildIn,
} from '../domain/builds/build-service.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentBuild } from '../presenters/build.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';

const listBuilds: OperationHandler<'listBuilds'> = async ({ query }, scope) => {
  const filters = {
    ...present({ guids: query.guids, packageGuids: query.package_guids, appGuids: query.app_guids, states: query.states }),
    ...labelSelectorOf(query),
  };
  const builds = await listBuildsIn(requestContext(scope), filters);
  const baseUrl = scope.runtime.config.externalUrl;
  return {
    status: 200,
    body: pageOf(scope, builds, query, { sortFields: timestampFields, present: (build) => presentBuild(build, baseUrl) }),
  };
};

const getBuild: OperationHandler<'getBuild'> = async ({ path }, scope) => {
  const build = await getBuildIn(requestContext(scope), path.guid);
  return { status: 200, body: presentBuild(build, scope.runtime.config.externalUrl) };
};

const createBuild: OperationHandler<'createBuild'> = async ({ body }, scope) => {
  const build = await createBuildIn(requestContext(scope), {
    packageGuid: body.package.guid,
    lifecycle: body.lifecycle,
    metadata: body.metadata,
  });
  return { status: 201, body: presentBuild(build, scope.runtime.config.externalUrl) };
};

const updateBuild: OperationHandler<'updateBuild'> = async ({ path, body }, scope) => {
  const build = await updateBuildIn(requestContext(scope), path.guid, body.metadata);
  return { status: 200, body: presentBuild(build, scope.runtime.config.externalUrl) };
};

export const buildHandlers = { listBuilds, getBuild, createBuild, updateBuild } satisfies Partial<HandlerMap>;
