import {
  createDeployment as createDeploymentIn,
  getDeployment as getDeploymentIn,
  listDeployments as listDeploymentsIn,
  type Deployment,
} from '../domain/deployments/deployment-service.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentDeployment } from '../presenters/deployment.ts';
import { pageOf, present, timestampFields } from './list-pages.ts';

const deploymentSortFields = {
  created_at: (deployment: Deployment) => timestampFields.created_at!(deployment.app),
  updated_at: (deployment: Deployment) => timestampFields.updated_at!(deployment.app),
};

const listDeployments: OperationHandler<'listDeployments'> = async ({ query }, scope) => {
  const filters = present({
    appGuids: query.app_guids,
    states: query.states,
    statusValues: query.status_values,
    statusReasons: query.status_reasons,
  });
  const deployments = await listDeploymentsIn(requestContext(scope), filters);
  const baseUrl = scope.runtime.config.externalUrl;
  return {
    status: 200,
    body: pageOf(scope, deployments, query, {
      sortFields: deploymentSortFields,
      present: (deployment) => presentDeployment(deployment, baseUrl),
    }),
  };
};

const createDeployment: OperationHandler<'createDeployment'> = async ({ body }, scope) => {
  const deployment = await createDeploymentIn(requestContext(scope), {
    appGuid: body.relationships.app.data.guid,
    dropletGuid: body.droplet?.guid,
  });
  return { status: 201, body: presentDeployment(deployment, scope.runtime.config.externalUrl) };
};

const getDeployment: OperationHandler<'getDeployment'> = async ({ path }, scope) => {
  const deployment = await getDeploymentIn(requestContext(scope), path.guid);
  return { status: 200, body: presentDeployment(deployment, scope.runtime.config.externalUrl) };
};

export const deploymentHandlers = { listDeployments, createDeployment, getDeployment } satisfies Partial<HandlerMap>;
