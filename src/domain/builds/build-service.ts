import { randomUUID } from 'node:crypto';
import { ApiError, notAuthorized, unprocessableEntity } from '../../errors/api-error.ts';
import { matchesLabelSelector, type LabelSelector } from '../../labels/selector.ts';
import { apiVersionOf, kinds } from '../../store/kinds.ts';
import type { NewObject, StoredObject } from '../../store/objects.ts';
import { storedLifecycle, type LifecycleRequest } from '../apps/app-lifecycle.ts';
import { getApp, spaceGuidOf } from '../apps/app-service.ts';
import { metadataPatchOf } from '../metadata-writes.ts';
import type { RequestContext } from '../request-context.ts';
import { getVisibleByGuid, listInVisibleSpaces } from '../space-scoped.ts';
import { asCfError, mayI, referenced } from '../store-failures.ts';

export type Build = StoredObject<'CFBuild'>;
export type BuildState = 'STAGING' | 'STAGED' | 'FAILED';

export const buildResourceType = 'Build';

/** Korifi's `defaultLifecycleConfig.stagingMemoryMB`; a request's own sizes are ignored, as by Korifi. */
export const stagingMemoryMB = 1024;
/** Korifi sets no staging disk limit. */
export const stagingDiskMB = 0;

/**
 * Where this server's build controller records the buildpack that staged a droplet (CFBuild has no
 * field for it); droplets staged by Korifi's controllers do not have it and show no buildpacks.
 */
export const detectedBuildpackAnnotation = 'cfapi.cloudfoundry.org/detected-buildpack';

/** A build's state: a build no controller has looked at yet is staging. */
export const buildStateOf = (build: Build): BuildState => build.status?.state ?? 'STAGING';

/** Why a build failed: its Succeeded condition's message. */
export function buildErrorOf(build: Build): string | null {
  if (buildStateOf(build) !== 'FAILED') return null;
  const succeeded = build.status?.conditions?.find((condition) => condition.type === 'Succeeded');
  return succeeded?.message || 'Unknown error';
}

export type BuildFilters = {
  guids?: readonly string[];
  packageGuids?: readonly string[];
  appGuids?: readonly string[];
  states?: readonly string[];
  spaceGuids?: readonly string[];
  organizationGuids?: readonly string[];
  labelSelector?: LabelSelector;
};

export type BuildCreate = {
  packageGuid: string;
  lifecycle?: LifecycleRequest | null | undefined;
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } | null | undefined;
};

export type MetadataUpdate = { labels?: Record<string, string | null>; annotations?: Record<string, string | null> };

const unusablePackage = () => unprocessableEntity('Unable to use package. Ensure that the package exists and you have access to it.');
const unusableApp = () =>
  unprocessableEntity('Unable to use the app associated with that package. Ensure that the app exists and you have access to it.');

/** CAPI's answer to staging a package that has no bits or image yet (the cf CLI knows this text). */
export const packageNotReady = (): ApiError =>
  new ApiError({ status: 400, code: 1004, title: 'CF-BadRequest', detail: 'Bad request: Cannot stage package whose state is not ready.' });

const buildRef = (build: Build) => ({ kind: 'CFBuild' as const, namespace: build.metadata.namespace ?? '', name: build.metadata.name });

/** Builds in the spaces the caller sees, read as the caller one space at a time. */
export async function listBuilds(context: RequestContext, filters: BuildFilters): Promise<Build[]> {
  const builds = await listInVisibleSpaces(context, 'CFBuild', filters, buildResourceType);
  return builds.filter((build) => matchesBuildFilters(build, filters));
}

export function matchesBuildFilters(build: Build, filters: BuildFilters): boolean {
  if (filters.guids && !filters.guids.includes(build.metadata.name)) return false;
  if (filters.packageGuids && !filters.packageGuids.includes(build.spec.packageRef.name)) return false;
  if (filters.appGuids && !filters.appGuids.includes(build.spec.appRef.name)) return false;
  if (filters.states && !filters.states.includes(buildStateOf(build))) return false;
  return !filters.labelSelector || matchesLabelSelector(filters.labelSelector, build.metadata.labels ?? {});
}

/** The build, read as the caller; 404 when it does not exist or they may not read it. */
export function getBuild(context: RequestContext, guid: string): Promise<Build> {
  return getVisibleByGuid(context, 'CFBuild', guid, buildResourceType);
}

/**
 * Starts staging a package, as Korifi does: a CFBuild in the app's space, named by a new GUID (which
 * is also its droplet's), owned by the app, with the app's lifecycle unless the request names one. It
 * is created as the caller and answered at once, in STAGING; the build controller (Korifi's, or ours)
 * does the staging.
 */
export async function createBuild(context: RequestContext, request: BuildCreate): Promise<Build> {
  refuseMetadata(request.metadata);
  const cfPackage = await referenced(getVisibleByGuid(context, 'CFPackage', request.packageGuid, 'Package'), unusablePackage);
  const app = await referenced(getApp(context, cfPackage.spec.appRef.name), unusableApp);
  const namespace = spaceGuidOf(app);
  if (!(await mayI(context, 'create', { kind: 'CFBuild', namespace }, buildResourceType))) throw notAuthorized();
  if ((cfPackage.spec.source?.registry.image ?? '') === '') throw packageNotReady();
  const build: NewObject<'CFBuild'> = {
    kind: 'CFBuild',
    metadata: {
      name: randomUUID(),
      namespace,
      ownerReferences: [{ apiVersion: apiVersionOf(kinds.CFApp), kind: 'CFApp', name: app.metadata.name, uid: app.metadata.uid ?? '' }],
    },
    spec: {
      packageRef: { name: cfPackage.metadata.name },
      appRef: { name: app.metadata.name },
      stagingMemoryMB,
      stagingDiskMB,
      lifecycle: request.lifecycle ? storedLifecycle(request.lifecycle) : app.spec.lifecycle,
    },
  };
  return asCfError(context.user.create(build), buildResourceType);
}

/** Korifi's rule: builds are created without labels or annotations (its validator's wording). */
function refuseMetadata(metadata: BuildCreate['metadata']): void {
  const problems = (['annotations', 'labels'] as const)
    .filter((field) => Object.keys(metadata?.[field] ?? {}).length > 0)
    .map((field) => `metadata.${field} must be blank`);
  if (problems.length > 0) throw unprocessableEntity(problems.join(', '));
}

/**
 * Changes a build's labels and annotations as the caller, as CF (and current Korifi) allow. Asked
 * first: a patch that changes nothing writes nothing, but only a caller who may change the build is answered 200.
 */
export async function updateBuild(context: RequestContext, guid: string, metadata: MetadataUpdate | null | undefined): Promise<Build> {
  const build = await getBuild(context, guid);
  if (!(await mayI(context, 'patch', buildRef(build), buildResourceType))) throw notAuthorized();
  return asCfError(context.user.patch(buildRef(build), { metadata: metadataPatchOf(metadata ?? undefined) }), buildResourceType);
}
