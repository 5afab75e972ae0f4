import type { components } from '../../../generated/openapi-types.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { isStoreError } from '../../store/errors.ts';
import type { RequestContext } from '../request-context.ts';
import { apiErrorOf, asCfError } from '../store-failures.ts';
import { getOrg } from '../tenancy/org-service.ts';
import { findSpace, getSpace, orgGuidOf } from '../tenancy/space-service.ts';
import { appResourceType, envSecretNameOf, getApp, spaceGuidOf, type App } from './app-service.ts';

/** `VCAP_APPLICATION`: what an instance learns about its app and where it runs (Korifi's keys). */
export type VcapApplication = {
  application_id: string;
  application_name: string;
  name: string;
  space_id: string;
  space_name: string;
  organization_id: string;
  organization_name: string;
  cf_api: string;
};

export type AppEnvironmentDocument = components['schemas']['AppEnvironment'];
type VcapServices = AppEnvironmentDocument['system_env_json']['VCAP_SERVICES'];

/**
 * As Korifi's VCAP_APPLICATION builder writes it, except `cf_api`, which is this API's URL (Korifi
 * leaves it empty; CF fills it).
 */
export function vcapApplicationOf(app: App, space: StoredObject<'CFSpace'>, org: StoredObject<'CFOrg'>, apiUrl: string): VcapApplication {
  return {
    application_id: app.metadata.name,
    application_name: app.spec.displayName,
    name: app.spec.displayName,
    space_id: space.metadata.name,
    space_name: space.spec.displayName,
    organization_id: org.metadata.name,
    organization_name: org.spec.displayName,
    cf_api: apiUrl,
  };
}

/** VCAP_APPLICATION of an app, with its space and org read as the server (for the controllers). */
export async function vcapApplicationAsServer(session: StoreSession, app: App, apiUrl: string): Promise<VcapApplication> {
  const space = await findSpace(session, spaceGuidOf(app));
  if (space === undefined) throw new Error(`no CFSpace for the namespace ${spaceGuidOf(app)} of app ${app.metadata.name}`);
  const [org] = (await session.list('CFOrg', { name: orgGuidOf(space) })).items;
  if (org === undefined) throw new Error(`no CFOrg ${orgGuidOf(space)} for the space of app ${app.metadata.name}`);
  return vcapApplicationOf(app, space, org, apiUrl);
}

const decoded = (data: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));

/**
 * `GET /v3/apps/{guid}/env` (what `cf env` prints): the user's variables from the app's Secret, read as
 * the caller (roles that may not read Secrets get 403, as in Korifi); no environment variable groups;
 * VCAP_SERVICES from the Secret the app's status names (empty without one); VCAP_APPLICATION from the
 * app, its space and its org as the caller sees them.
 */
export async function getAppEnvironment(context: RequestContext, guid: string): Promise<AppEnvironmentDocument> {
  const app = await getApp(context, guid);
  const namespace = spaceGuidOf(app);
  const envSecret = await asCfError(
    context.user.get({ kind: 'Secret', namespace, name: app.spec.envSecretName ?? envSecretNameOf(app.metadata.name) }),
    appResourceType,
  );
  const space = await getSpace(context, namespace);
  const org = await getOrg(context, orgGuidOf(space));
  return {
    environment_variables: decoded(envSecret.data),
    staging_env_json: {},
    running_env_json: {},
    system_env_json: { VCAP_SERVICES: await vcapServices(context, namespace, app.status?.vcapServicesSecretName) },
    application_env_json: { VCAP_APPLICATION: vcapApplicationOf(app, space, org, context.config.externalUrl) },
  };
}

async function vcapServices(context: RequestContext, namespace: string, secretName: string | undefined): Promise<VcapServices> {
  if (secretName === undefined || secretName === '') return {};
  let secret: StoredObject<'Secret'>;
  try {
    secret = await context.user.get({ kind: 'Secret', namespace, name: secretName });
  } catch (error) {
    // Named in the status but not written yet: no services to show.
    if (isStoreError(error, 'NotFound')) return {};
    throw apiErrorOf(error, appResourceType);
  }
  return parsedVcapServices(decoded(secret.data)['VCAP_SERVICES']);
}

/** The Secret's VCAP_SERVICES: written by whoever binds services (Korifi's controller, or this server's), in its shape. */
function parsedVcapServices(text: string | undefined): VcapServices {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '{}');
  } catch {
    return {};
  }
  const services: VcapServices = {};
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return services;
  for (const [serviceLabel, bindings] of Object.entries(parsed))
    if (Array.isArray(bindings)) services[serviceLabel] = bindings as VcapServices[string];
  return services;
}
