import { notAuthorized } from '../../errors/api-error.ts';
import type { RequestContext } from '../request-context.ts';
import { asCfError, mayI } from '../store-failures.ts';
import { appResourceType, envSecretNameOf, getApp, spaceGuidOf, type App } from './app-service.ts';

export type EnvironmentVariables = Record<string, string>;

/** What a variable may be set to: text is kept, null removes it, any other JSON value is kept as its JSON text. */
export type EnvironmentChange = Record<string, unknown>;

const secretRef = (app: App) => ({
  kind: 'Secret' as const,
  namespace: spaceGuidOf(app),
  name: app.spec.envSecretName ?? envSecretNameOf(app.metadata.name),
});

const decoded = (data: Record<string, string> | undefined): EnvironmentVariables =>
  Object.fromEntries(Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));

/**
 * The app's user-provided environment variables, read as the caller from the app's Secret: roles that
 * may read the app but not Secrets (auditors, managers) get 403, as in Korifi.
 */
export async function getEnvironmentVariables(context: RequestContext, guid: string): Promise<EnvironmentVariables> {
  const app = await getApp(context, guid);
  return decoded((await asCfError(context.user.get(secretRef(app)), appResourceType)).data);
}

/** Merges the change into the app's Secret as the caller and answers every variable afterwards. */
export async function updateEnvironmentVariables(
  context: RequestContext,
  guid: string,
  change: EnvironmentChange,
): Promise<EnvironmentVariables> {
  const app = await getApp(context, guid);
  const ref = secretRef(app);
  if (!(await mayI(context, 'patch', ref, appResourceType))) throw notAuthorized();
  const data = Object.fromEntries(Object.entries(change).map(([key, value]) => [key, encoded(value)]));
  return decoded((await asCfError(context.user.patch(ref, { data }), appResourceType)).data);
}

function encoded(value: unknown): string | null {
  if (value === null) return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return Buffer.from(text, 'utf8').toString('base64');
}
