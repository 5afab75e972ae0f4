import { notAuthorized, unprocessableEntity } from '../../errors/api-error.ts';
import { isStoreError } from '../../store/errors.ts';
import { metadataPatchOf } from '../metadata-writes.ts';
import { bindClaim, claimFor, releaseClaim, type NameClaim } from '../names/name-claims.ts';
import type { RequestContext } from '../request-context.ts';
import { asCfError, mayI } from '../store-failures.ts';
import { lifecyclePatch, type LifecycleUpdate } from './app-lifecycle.ts';
import { appNameClaim, appResourceType, duplicateApp, getApp, spaceGuidOf, type App } from './app-service.ts';

export type AppUpdate = {
  name?: string | undefined;
  lifecycle?: LifecycleUpdate | undefined;
  metadata?: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } | undefined;
};

const maxUpdateAttempts = 3;

/**
 * Renames, changes the buildpacks or stack of, and relabels an app as the caller. A rename moves the
 * name claim and applies only to the version it was checked against; when another write came first it
 * starts again from a fresh read.
 */
export async function updateApp(context: RequestContext, guid: string, request: AppUpdate): Promise<App> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await updateOnce(context, await getApp(context, guid), request);
    } catch (error) {
      if (!isStoreError(error, 'Conflict') || attempt >= maxUpdateAttempts) throw error;
    }
  }
}

async function updateOnce(context: RequestContext, current: App, request: AppUpdate): Promise<App> {
  const ref = { kind: 'CFApp' as const, namespace: spaceGuidOf(current), name: current.metadata.name };
  if (!(await mayI(context, 'patch', ref, appResourceType))) throw notAuthorized();
  const { patch, newName } = changeOf(current, request);
  if (newName && !(await asCfError(claimFor(context.server, newName), appResourceType))) throw duplicateApp(newName.name);
  const preconditions = newName ? { resourceVersion: current.metadata.resourceVersion ?? '' } : {};
  let updated: App;
  try {
    updated = await asCfError(context.user.patch(ref, patch, preconditions), appResourceType);
  } catch (error) {
    // A change of letter case only re-claimed the app's own claim, which it must keep.
    if (newName && !sameName(newName.name, current.spec.displayName)) await releaseClaim(context.server, newName);
    throw error;
  }
  if (newName) await moveClaim(context, newName, updated, current.spec.displayName);
  return updated;
}

/** The merge patch an update makes and, for a rename, the claim of the new name. */
function changeOf(current: App, request: AppUpdate): { patch: Record<string, unknown>; newName?: NameClaim } {
  const spec: Record<string, unknown> = {};
  if (request.lifecycle !== undefined) {
    const change = lifecyclePatch(current.spec.lifecycle, request.lifecycle);
    if ('refusal' in change) throw unprocessableEntity(change.refusal);
    spec['lifecycle'] = change.patch;
  }
  const metadata = metadataPatchOf(request.metadata);
  if (request.name === undefined || request.name === current.spec.displayName) {
    return { patch: { metadata, ...(Object.keys(spec).length > 0 ? { spec } : {}) } };
  }
  return {
    patch: { metadata, spec: { ...spec, displayName: request.name } },
    newName: appNameClaim(current.metadata.namespace ?? '', current.metadata.name, request.name),
  };
}

/** Hands the new name's claim to the renamed app and frees the old name (a change of letter case keeps the one claim). */
async function moveClaim(context: RequestContext, newName: NameClaim, renamed: App, oldName: string): Promise<void> {
  await bindClaim(context.server, newName, renamed);
  if (!sameName(newName.name, oldName)) await releaseClaim(context.server, { ...newName, name: oldName });
}

const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
