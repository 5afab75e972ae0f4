import { notAuthorized, resourceNotFound, serviceUnavailable, unprocessableEntity } from '../../errors/api-error.ts';
import { isStoreError } from '../../store/errors.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import type { RequestContext } from '../request-context.ts';
import { apiErrorOf, mayI } from '../store-failures.ts';
import { appResourceType, getApp, spaceGuidOf, type App } from './app-service.ts';

export type AppState = 'STARTED' | 'STOPPED';

/** Korifi's annotations: the app's revision, bumped on every stop, and the revision of the last stop. */
export const appRevisionAnnotation = label('app-rev');
export const lastStopRevisionAnnotation = label('last-stop-app-rev');

const maxWriteAttempts = 5;

const noDroplet = () => unprocessableEntity('Assign a droplet before starting this app.');

/**
 * Starts the app as Korifi does: refused without a current droplet, then `spec.desiredState` is set and
 * the answer waits until the controller reports `status.actualState` STARTED.
 */
export async function startApp(context: RequestContext, guid: string): Promise<App> {
  const app = await setDesiredState(context, await getApp(context, guid), 'STARTED');
  return waitForState(context, app, 'STARTED');
}

/** Stops the app and waits until the controller reports it STOPPED. */
export async function stopApp(context: RequestContext, guid: string): Promise<App> {
  const app = await setDesiredState(context, await getApp(context, guid), 'STOPPED');
  return waitForState(context, app, 'STOPPED');
}

/** Stop, wait, start, wait: the stop bumps the revision, so every instance starts afresh. */
export async function restartApp(context: RequestContext, guid: string): Promise<App> {
  const current = await getApp(context, guid);
  if (!hasDroplet(current)) throw noDroplet();
  const stopped = await waitForState(context, await setDesiredState(context, current, 'STOPPED'), 'STOPPED');
  if (stopped.spec.desiredState !== 'STOPPED') return stopped;
  return waitForState(context, await setDesiredState(context, stopped, 'STARTED'), 'STARTED');
}

const hasDroplet = (app: App): boolean => (app.spec.currentDropletRef?.name ?? '') !== '';

/**
 * Writes the desired state as the caller, only onto the version just read (a concurrent start, stop or
 * scale makes it read again and decide afresh). Going from STARTED to STOPPED also bumps `app-rev` and
 * sets `last-stop-app-rev`, which Korifi's app-rev webhook does; where that webhook runs it bumps once
 * more on the same write, which only makes the revision larger.
 */
async function setDesiredState(context: RequestContext, app: App, state: AppState): Promise<App> {
  const ref = { kind: 'CFApp' as const, namespace: spaceGuidOf(app), name: app.metadata.name };
  // Asked first: an app already in the state needs no write, but the caller must still be allowed one.
  if (!(await mayI(context, 'patch', ref, appResourceType))) throw notAuthorized();
  let current = app;
  for (let attempt = 1; ; attempt++) {
    if (state === 'STARTED' && !hasDroplet(current)) throw noDroplet();
    if (current.spec.desiredState === state) return current;
    const patch = { spec: { desiredState: state }, ...(state === 'STOPPED' ? { metadata: { annotations: bumpedRevision(current) } } : {}) };
    try {
      return await context.user.patch(ref, patch, { resourceVersion: current.metadata.resourceVersion ?? '' });
    } catch (error) {
      if (!isStoreError(error, 'Conflict') || attempt >= maxWriteAttempts) throw apiErrorOf(error, appResourceType);
    }
    current = await getApp(context, app.metadata.name);
  }
}

/** Korifi's `bumpAppRev`: the next integer, or 0 when the current value is not a non-negative integer. */
function bumpedRevision(app: App): Record<string, string> {
  const current = app.metadata.annotations?.[appRevisionAnnotation] ?? '';
  const parsed = /^\d+$/.test(current) ? Number.parseInt(current, 10) : Number.NaN;
  const next = Number.isSafeInteger(parsed) ? String(parsed + 1) : '0';
  return { [appRevisionAnnotation]: next, [lastStopRevisionAnnotation]: next };
}

/**
 * Waits until the controller reports the state, or until someone else has since asked for the other one
 * (their request stands; the app is answered as it is). It watches as the server: the caller has just
 * been allowed to change this app, and may lack `watch` (a space supporter).
 */
async function waitForState(context: RequestContext, app: App, state: AppState): Promise<App> {
  const ref = { kind: 'CFApp' as const, namespace: spaceGuidOf(app), name: app.metadata.name };
  const timeoutSeconds = context.config.readyTimeoutSeconds;
  try {
    return await context.server.waitFor(ref, (current) => current.spec.desiredState !== state || current.status?.actualState === state, {
      timeoutMs: timeoutSeconds * 1000,
    });
  } catch (error) {
    if (isStoreError(error, 'NotFound')) throw resourceNotFound(appResourceType);
    if (!isStoreError(error, 'Timeout')) throw error;
    throw serviceUnavailable(
      `App '${app.spec.displayName}' was set to ${state} but did not reach that state within ${timeoutSeconds} seconds. ` +
        'Check that its controller (Korifi, or this server with reconcilers enabled) is running and can run its processes.',
    );
  }
}
