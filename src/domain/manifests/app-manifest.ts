import type { App } from '../apps/app-service.ts';
import { getApp } from '../apps/app-service.ts';
import { getEnvironmentVariables, type EnvironmentVariables } from '../apps/app-environment.ts';
import { getDroplet } from '../droplets/droplet-service.ts';
import { listPackages } from '../packages/package-service.ts';
import { listAppProcesses } from '../processes/process-service.ts';
import type { Process } from '../processes/process-spec.ts';
import type { RequestContext } from '../request-context.ts';
import { listAppRoutes, type RouteWithDomain } from '../routes/route-reads.ts';

/** What an app's manifest is made of: the app, its variables, processes and routes, and a docker app's image. */
export type AppManifestSources = {
  app: App;
  environment: EnvironmentVariables;
  processes: Process[];
  routes: RouteWithDomain[];
  /** A docker app's image: its current droplet's, else its newest docker package's; undefined for buildpack apps or none yet. */
  dockerImage: string | undefined;
};

/**
 * Reads what `GET /v3/apps/{guid}/manifest` renders, as the caller: the app must be visible (else 404),
 * and its environment variables readable (a Secret read: space developers and admins, else 403, as in CF
 * where the manifest is for those roles).
 */
export async function readAppManifestSources(context: RequestContext, guid: string): Promise<AppManifestSources> {
  const app = await getApp(context, guid);
  const [environment, { processes }, routes, dockerImage] = await Promise.all([
    getEnvironmentVariables(context, guid),
    listAppProcesses(context, guid),
    listAppRoutes(context, guid),
    app.spec.lifecycle.type === 'docker' ? dockerImageOf(context, app) : Promise.resolve(undefined),
  ]);
  return { app, environment, processes, routes, dockerImage };
}

async function dockerImageOf(context: RequestContext, app: App): Promise<string | undefined> {
  const dropletGuid = app.spec.currentDropletRef?.name;
  if (dropletGuid) {
    const image = (await getDroplet(context, dropletGuid).catch(() => undefined))?.status?.droplet?.registry.image;
    if (image) return image;
  }
  const packages = await listPackages(context, { appGuids: [app.metadata.name], types: ['docker'] });
  const newest = packages.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
  return newest?.spec.source?.registry.image || undefined;
}
