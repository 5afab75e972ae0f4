import { ApiError, notAuthorized, resourceNotFound, unprocessableEntity } from '../../errors/api-error.ts';
import { isStoreError } from '../../store/errors.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import type { StoredObject } from '../../store/objects.ts';
import { appRevisionAnnotation } from '../apps/app-state.ts';
import { getApp, listApps, spaceGuidOf, type App } from '../apps/app-service.ts';
import { isDroplet } from '../droplets/droplet-service.ts';
import type { RequestContext } from '../request-context.ts';
import { getVisibleByGuid } from '../space-scoped.ts';
import { apiErrorOf, mayI, referenced } from '../store-failures.ts';

/**
 * Deployments as Korifi has them: no object of their own. An app that has a droplet is its own
 * deployment (same GUID); creating one points the app at the droplet, starts it and bumps its revision
 * in one write, so every instance is replaced; it is ACTIVE until the app's controller reports the app
 * Ready for that write, FINALIZED after. Unlike Korifi, an app without a droplet has no deployment
 * (Korifi shows every such app as an ACTIVE deployment, which `cf app` would print as one in progress).
 */
export type Deployment = {
  app: App;
  dropletGuid: string;
  status: { value: 'ACTIVE' | 'FINALIZED'; reason: 'DEPLOYING' | 'DEPLOYED'; lastStatusChange: string };
  processes: { guid: string; type: string }[];
};

export type DeploymentFilters = {
  appGuids?: readonly string[];
  states?: readonly string[];
  statusValues?: readonly string[];
  statusReasons?: readonly string[];
};

export const deploymentResourceType = 'Deployment';
const maxWriteAttempts = 5;

const invalidApp = () => unprocessableEntity('Unable to use app. Ensure that the app exists and you have access to it.');
const invalidDroplet = () => unprocessableEntity('Unable to use droplet. Ensure the droplet exists and belongs to this app.');
const noDroplet = () =>
  unprocessableEntity('Invalid droplet. Please specify a droplet in the request or set a current droplet for the app.');

const dropletGuidOf = (app: App): string => app.spec.currentDropletRef?.name ?? '';
const appRefOf = (app: App) => ({ kind: 'CFApp' as const, namespace: spaceGuidOf(app), name: app.metadata.name });

/** Rolls `dropletGuid` (else the app's current droplet) out to the app, as the caller. */
export async function createDeployment(
  context: RequestContext,
  request: { appGuid: string; dropletGuid?: string | undefined },
): Promise<Deployment> {
  let app = await referenced(getApp(context, request.appGuid), invalidApp);
  if (!(await mayI(context, 'patch', appRefOf(app), 'App'))) throw notAuthorized();
  const dropletGuid = request.dropletGuid || dropletGuidOf(app);
  if (dropletGuid === '') throw noDroplet();
  await checkDroplet(context, app, dropletGuid);
  for (let attempt = 1; ; attempt++) {
    try {
      const deployed = await context.user.patch(appRefOf(app), deploymentPatch(app, dropletGuid), {
        resourceVersion: app.metadata.resourceVersion ?? '',
      });
      return deploymentOf(context, deployed);
    } catch (error) {
      if (!isStoreError(error, 'Conflict') || attempt >= maxWriteAttempts) throw apiErrorOf(error, 'App');
    }
    app = await getApp(context, request.appGuid);
  }
}

async function checkDroplet(context: RequestContext, app: App, dropletGuid: string): Promise<void> {
  const droplet = await getVisibleByGuid(context, 'CFBuild', dropletGuid, 'Droplet').catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  });
  const belongs =
    droplet !== undefined && droplet.spec.appRef.name === app.metadata.name && droplet.metadata.namespace === app.metadata.namespace;
  if (!belongs || !isDroplet(droplet)) throw invalidDroplet();
}

/** Korifi's deployment write: the droplet, STARTED, and the next revision (so every instance is replaced). */
function deploymentPatch(app: App, dropletGuid: string) {
  const current = app.metadata.annotations?.[appRevisionAnnotation] ?? '';
  const revision = /^\d+$/.test(current) && Number.isSafeInteger(Number(current)) ? Number(current) + 1 : 0;
  return {
    metadata: { annotations: { [appRevisionAnnotation]: String(revision) } },
    spec: { currentDropletRef: { name: dropletGuid }, desiredState: 'STARTED' },
  };
}

export async function getDeployment(context: RequestContext, guid: string): Promise<Deployment> {
  const app = await getApp(context, guid).catch((error: unknown) => {
    if (error instanceof ApiError && error.status === 404) throw resourceNotFound(deploymentResourceType);
    throw error;
  });
  if (dropletGuidOf(app) === '') throw resourceNotFound(deploymentResourceType);
  return deploymentOf(context, app);
}

export async function listDeployments(context: RequestContext, filters: DeploymentFilters): Promise<Deployment[]> {
  const apps = (await listApps(context, filters.appGuids ? { guids: filters.appGuids } : {})).filter((app) => dropletGuidOf(app) !== '');
  const deployments = await Promise.all(apps.map((app) => deploymentOf(context, app)));
  return deployments.filter(
    ({ status }) =>
      (!filters.statusValues || filters.statusValues.includes(status.value)) &&
      (!filters.statusReasons || filters.statusReasons.includes(status.reason)) &&
      (!filters.states || filters.states.includes(status.reason)),
  );
}

async function deploymentOf(context: RequestContext, app: App): Promise<Deployment> {
  const ready = app.status?.conditions?.find((condition) => condition.type === 'Ready');
  const finalized = ready?.status === 'True' && (ready.observedGeneration ?? 0) >= (app.metadata.generation ?? 0);
  return {
    app,
    dropletGuid: dropletGuidOf(app),
    status: {
      value: finalized ? 'FINALIZED' : 'ACTIVE',
      reason: finalized ? 'DEPLOYED' : 'DEPLOYING',
      lastStatusChange: ready?.lastTransitionTime ?? app.metadata.creationTimestamp ?? new Date(0).toISOString(),
    },
    processes: (await processesOf(context, app)).map((process) => ({ guid: process.metadata.name, type: process.spec.processType })),
  };
}

/** The app's processes, read as the caller (none when their roles may not read processes). */
async function processesOf(context: RequestContext, app: App): Promise<StoredObject<'CFProcess'>[]> {
  const selector = [{ key: label('app-guid'), operator: 'equals' as const, value: app.metadata.name }];
  try {
    return (await context.user.list('CFProcess', { namespace: spaceGuidOf(app), labelSelector: selector })).items;
  } catch (error) {
    if (isStoreError(error, 'Forbidden')) return [];
    throw apiErrorOf(error, 'Process');
  }
}
