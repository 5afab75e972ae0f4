import { notAuthorized, resourceNotFound, unprocessableEntity } from '../../errors/api-error.ts';
import type { RequestContext } from '../request-context.ts';
import { mayI } from '../store-failures.ts';
import { appResourceType, getApp, spaceGuidOf } from './app-service.ts';

export type AppFeature = { name: 'ssh' | 'revisions'; description: string; enabled: false };

/** The app features CF knows, with Korifi's descriptions; neither is supported, so both are off. */
export const appFeatures: readonly AppFeature[] = [
  { name: 'ssh', description: 'Enable SSHing into the app.', enabled: false },
  { name: 'revisions', description: 'Enable versioning of an application', enabled: false },
];

/** Korifi's answer to `GET …/ssh_enabled`: SSH is off for the whole platform. */
export const sshEnabled = { enabled: false, reason: 'Disabled globally' } as const;

const featureNotFound = () => resourceNotFound('Feature');

/** The app's features; 404 when the caller cannot see the app (CAPI looks it up; Korifi does not). */
export async function listAppFeatures(context: RequestContext, appGuid: string): Promise<readonly AppFeature[]> {
  await getApp(context, appGuid);
  return appFeatures;
}

/** One feature by name; an unknown name is 404 `Feature not found`, as in Korifi. */
export async function getAppFeature(context: RequestContext, appGuid: string, name: string): Promise<AppFeature> {
  await getApp(context, appGuid);
  const feature = appFeatures.find((candidate) => candidate.name === name);
  if (feature === undefined) throw featureNotFound();
  return feature;
}

/**
 * `cf enable-ssh` / `cf disable-ssh`. Korifi has no such route (its router answers 404 to any PATCH
 * here), which would make `cf disable-ssh` fail although SSH is off; CAPI stores the flag. Neither
 * feature exists on this platform, so turning one off is accepted and changes nothing, and turning one
 * on is refused with a 422 that says why, rather than stored and silently ignored. Either way the caller
 * must be allowed to change the app, as in CAPI.
 */
export async function updateAppFeature(context: RequestContext, appGuid: string, name: string, enabled: boolean): Promise<AppFeature> {
  const app = await getApp(context, appGuid);
  const feature = appFeatures.find((candidate) => candidate.name === name);
  if (feature === undefined) throw featureNotFound();
  const ref = { kind: 'CFApp' as const, namespace: spaceGuidOf(app), name: app.metadata.name };
  if (!(await mayI(context, 'patch', ref, appResourceType))) throw notAuthorized();
  if (enabled) throw unprocessableEntity(`The '${name}' feature cannot be enabled: this platform does not support it.`);
  return feature;
}

/** Whether `cf ssh` may reach the app: never. The app is looked up, so an app the caller cannot see is 404. */
export async function getAppSshEnabled(context: RequestContext, appGuid: string): Promise<typeof sshEnabled> {
  await getApp(context, appGuid);
  return sshEnabled;
}
