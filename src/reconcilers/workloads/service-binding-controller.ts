import { appControllerReference } from '../../domain/apps/app-owner-reference.ts';
import { credentialsOfSecret, syslogDrainAnnotation } from '../../domain/services/service-instances.ts';
import { jsonEqual } from '../../store/json-equal.ts';
import { isStoreError } from '../../store/errors.ts';
import { apiVersionOf, kinds } from '../../store/kinds.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import { getIfExists } from '../../store/lookups.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { refOf } from '../../store/refs.ts';
import { withConditions, type WantedCondition } from './conditions.ts';
import type { KindControllerDefinition } from './kind-controller.ts';

type Instance = StoredObject<'CFServiceInstance'>;
type Binding = StoredObject<'CFServiceBinding'>;
type App = StoredObject<'CFApp'>;

/** The Secret Korifi's app controller keeps an app's VCAP_SERVICES in. */
export const vcapServicesSecretNameOf = (appGuid: string): string => `${appGuid}-vcap-services`;

const bindingsOfInstance = async (session: StoreSession, instance: Instance): Promise<Binding[]> =>
  (
    await session.list('CFServiceBinding', {
      namespace: instance.metadata.namespace ?? '',
      labelSelector: [{ key: label('service-instance-guid'), operator: 'equals', value: instance.metadata.name }],
      readOnly: true,
    })
  ).items.filter((binding) => binding.spec.service.name === instance.metadata.name);

/**
 * What Korifi's user-provided instance controller does: once it has seen an instance, names its
 * credentials Secret in the status, records the Secret's version it has seen
 * (`credentialsObservedVersion`, so a change of credentials is a change of the instance), sets the last
 * operation (create, then update once the spec changed) and Ready. Korifi's watches every Secret; this
 * one watches none (at 10,000 apps their env Secrets alone cost ~30 MB held in an informer): the API
 * marks the instance (an annotation) when it replaces the credentials, which brings it here.
 */
export const serviceInstanceController: KindControllerDefinition<'CFServiceInstance'> = {
  kind: 'CFServiceInstance',
  async reconcile(context, _ref, instance) {
    if (instance === undefined || instance.metadata.deletionTimestamp !== undefined || instance.spec.type !== 'user-provided')
      return undefined;
    const secret = await getIfExists(context.session, {
      kind: 'Secret',
      namespace: instance.metadata.namespace ?? '',
      name: instance.spec.secretName,
    });
    await writeInstanceStatus(context.session, instance, secret);
    return undefined;
  },
};

function instanceReadiness(secret: StoredObject<'Secret'> | undefined, generation: number): WantedCondition {
  if (secret === undefined) {
    return {
      type: 'Ready',
      status: 'False',
      reason: 'SecretNotFound',
      message: 'The credentials Secret does not exist',
      observedGeneration: generation,
    };
  }
  if (credentialsOfSecret(secret) === undefined) {
    return {
      type: 'Ready',
      status: 'False',
      reason: 'SecretInvalid',
      message: 'The credentials are not a JSON object',
      observedGeneration: generation,
    };
  }
  return { type: 'Ready', status: 'True', reason: 'Ready', message: '', observedGeneration: generation };
}

/** create until the controller has seen a later generation of the spec, then update. */
function operationTypeOf(instance: Instance): 'create' | 'update' | 'delete' {
  const status = instance.status;
  const seenBefore = (status?.observedGeneration ?? 0) > 0;
  if (seenBefore && status?.observedGeneration !== instance.metadata.generation) return 'update';
  return status?.lastOperation?.type ?? 'create';
}

function wantedInstanceStatus(instance: Instance, secret: StoredObject<'Secret'> | undefined, ready: WantedCondition) {
  return {
    observedGeneration: ready.observedGeneration,
    credentials: { name: instance.spec.secretName },
    credentialsObservedVersion: secret?.metadata.resourceVersion ?? '',
    lastOperation: { type: operationTypeOf(instance), state: ready.status === 'True' ? 'succeeded' : 'failed', description: ready.message },
  };
}

/** The same fields as they are recorded now. */
function recordedInstanceStatus(instance: Instance) {
  const status = instance.status;
  return {
    observedGeneration: status?.observedGeneration,
    credentials: status?.credentials,
    credentialsObservedVersion: (status as { credentialsObservedVersion?: string } | undefined)?.credentialsObservedVersion,
    lastOperation: status?.lastOperation,
  };
}

async function writeInstanceStatus(session: StoreSession, instance: Instance, secret: StoredObject<'Secret'> | undefined): Promise<void> {
  const ready = instanceReadiness(secret, instance.metadata.generation ?? 0);
  const wanted = wantedInstanceStatus(instance, secret, ready);
  const conditions = withConditions(instance.status?.conditions, [ready], new Date());
  if (conditions === undefined && jsonEqual(recordedInstanceStatus(instance), wanted)) return;
  await session.patchStatus(
    refOf(instance),
    { ...wanted, conditions: conditions ?? instance.status?.conditions ?? [] },
    { resourceVersion: instance.metadata.resourceVersion ?? '' },
  );
}

/** The finalizer this controller holds bindings with, so that an unbinding leaves the app's services first. */
export const serviceBindingFinalizer = 'cfServiceBinding.korifi.cloudfoundry.org';

/**
 * What Korifi's binding and app controllers do for a user-provided instance's app binding: the binding is
 * owned by its app (so it goes with it) and held by a finalizer, hands over the instance's credentials
 * Secret (`envSecretRef`, `mountSecretRef`) and is Ready once that Secret exists; the app's
 * `status.serviceBindings` lists its bindings (GUID, name, the Secret they hand over) and VCAP_SERVICES,
 * in CF's shape, is kept in the Secret `<app>-vcap-services` that `status.vcapServicesSecretName` names
 * (read by `GET /v3/apps/{guid}/env` and given to the app's instances and tasks). A binding going away
 * leaves the app's services before its finalizer is released. Unlike Korifi, an app that never had a
 * binding gets no Secret, and apps are not watched: their services change only with their bindings and
 * the bindings' instances.
 */
export const serviceBindingController: KindControllerDefinition<'CFServiceBinding'> = {
  kind: 'CFServiceBinding',
  watches: [
    { kind: 'CFServiceInstance', affected: async (instance, context) => (await bindingsOfInstance(context.session, instance)).map(refOf) },
  ],
  async reconcile(context, _ref, binding) {
    if (binding === undefined) return undefined;
    const session = context.session;
    const namespace = binding.metadata.namespace ?? '';
    const app = await getIfExists(session, { kind: 'CFApp', namespace, name: binding.spec.appRef.name ?? '' });
    if (binding.metadata.deletionTimestamp !== undefined) {
      if (app !== undefined) await reconcileAppServices(session, app);
      await releaseFinalizer(session, binding);
      return undefined;
    }
    const held = await ensureHeld(session, binding, app);
    const instance = await getIfExists(session, { kind: 'CFServiceInstance', namespace, name: binding.spec.service.name ?? '' });
    const secret = instance === undefined ? undefined : await credentialsSecretOf(session, instance);
    await writeBindingStatus(session, held, instance, secret);
    if (app !== undefined && held.spec.type === 'app') await reconcileAppServices(session, app);
    return undefined;
  },
};

async function releaseFinalizer(session: StoreSession, binding: Binding): Promise<void> {
  const finalizers = binding.metadata.finalizers ?? [];
  if (!finalizers.includes(serviceBindingFinalizer)) return;
  const remaining = finalizers.filter((name) => name !== serviceBindingFinalizer);
  await session.patch(
    refOf(binding),
    { metadata: { finalizers: remaining.length > 0 ? remaining : null } },
    { resourceVersion: binding.metadata.resourceVersion ?? '' },
  );
}

const credentialsSecretOf = (session: StoreSession, instance: Instance): Promise<StoredObject<'Secret'> | undefined> =>
  getIfExists(session, {
    kind: 'Secret',
    namespace: instance.metadata.namespace ?? '',
    name: instance.status?.credentials?.name || instance.spec.secretName,
  });

function bindingReadiness(instance: Instance | undefined, secret: StoredObject<'Secret'> | undefined, generation: number): WantedCondition {
  if (instance === undefined) {
    return {
      type: 'Ready',
      status: 'False',
      reason: 'ServiceInstanceNotFound',
      message: 'The service instance does not exist',
      observedGeneration: generation,
    };
  }
  if (secret === undefined) {
    return {
      type: 'Ready',
      status: 'False',
      reason: 'CredentialsSecretNotFound',
      message: 'The credentials Secret does not exist',
      observedGeneration: generation,
    };
  }
  return { type: 'Ready', status: 'True', reason: 'SecretFound', message: '', observedGeneration: generation };
}

const secretRefsOf = (secret: StoredObject<'Secret'> | undefined) =>
  secret === undefined
    ? { envSecretRef: undefined, mountSecretRef: undefined }
    : { envSecretRef: { name: secret.metadata.name }, mountSecretRef: { name: secret.metadata.name } };

async function writeBindingStatus(
  session: StoreSession,
  binding: Binding,
  instance: Instance | undefined,
  secret: StoredObject<'Secret'> | undefined,
): Promise<void> {
  const generation = binding.metadata.generation ?? 0;
  const refs = secretRefsOf(secret);
  const status = binding.status ?? {};
  const conditions = withConditions(status.conditions, [bindingReadiness(instance, secret, generation)], new Date());
  const recordedRefs = { envSecretRef: status.envSecretRef, mountSecretRef: status.mountSecretRef };
  if (conditions === undefined && status.observedGeneration === generation && jsonEqual(recordedRefs, refs)) return;
  // null removes a reference in the merge patch.
  const patchRefs = secret === undefined ? { envSecretRef: null, mountSecretRef: null } : refs;
  await session.patchStatus(
    refOf(binding),
    { observedGeneration: generation, ...patchRefs, conditions: conditions ?? status.conditions ?? [] },
    { resourceVersion: binding.metadata.resourceVersion ?? '' },
  );
}

/** The binding with this controller's finalizer and, once its app exists, owned by the app. */
async function ensureHeld(session: StoreSession, binding: Binding, app: App | undefined): Promise<Binding> {
  const owners = binding.metadata.ownerReferences ?? [];
  const finalizers = binding.metadata.finalizers ?? [];
  const owned = app === undefined || owners.some((owner) => owner.kind === 'CFApp' && owner.uid === app.metadata.uid);
  const finalized = finalizers.includes(serviceBindingFinalizer);
  if (owned && finalized) return binding;
  const ownerReferences = owned
    ? owners
    : [...owners, { apiVersion: apiVersionOf(kinds.CFApp), kind: 'CFApp', name: app.metadata.name, uid: app.metadata.uid ?? '' }];
  return session.patch(
    refOf(binding),
    { metadata: { ownerReferences, finalizers: finalized ? finalizers : [...finalizers, serviceBindingFinalizer] } },
    { resourceVersion: binding.metadata.resourceVersion ?? '' },
  );
}

type VcapServiceEntry = {
  label: string;
  name: string;
  tags: string[];
  instance_guid: string;
  instance_name: string;
  binding_guid: string;
  binding_name: string | null;
  credentials: Record<string, unknown>;
  syslog_drain_url: string | null;
  volume_mounts: never[];
};

/** Brings the app's VCAP_SERVICES Secret and `status.serviceBindings` in line with its live app bindings. */
async function reconcileAppServices(session: StoreSession, app: App): Promise<void> {
  if (app.metadata.deletionTimestamp !== undefined) return;
  const bindings = await appBindingsOf(session, app);
  if (bindings.length === 0 && !hadServices(app)) return;
  const { services, listed } = await vcapServicesOf(session, bindings);
  const secretName = vcapServicesSecretNameOf(app.metadata.name);
  await writeVcapServicesSecret(session, app, secretName, JSON.stringify(services));
  await writeAppStatus(session, app, secretName, listed);
}

/** Whether the app has services recorded (so losing its last binding still empties them). */
const hadServices = (app: App): boolean =>
  (app.status?.vcapServicesSecretName ?? '') !== '' || (app.status?.serviceBindings ?? []).length > 0;

async function writeAppStatus(session: StoreSession, app: App, secretName: string, listed: AppServices['listed']): Promise<void> {
  if (app.status?.vcapServicesSecretName === secretName && jsonEqual(app.status.serviceBindings ?? [], listed)) return;
  await session.patchStatus(
    refOf(app),
    { vcapServicesSecretName: secretName, serviceBindings: listed },
    { resourceVersion: app.metadata.resourceVersion ?? '' },
  );
}

/** The app's live app bindings, oldest first. */
async function appBindingsOf(session: StoreSession, app: App): Promise<Binding[]> {
  const { items } = await session.list('CFServiceBinding', {
    namespace: app.metadata.namespace ?? '',
    labelSelector: [{ key: label('app-guid'), operator: 'equals', value: app.metadata.name }],
    // Read for every app at each resync: the store's shared objects, not copies (nothing here changes them).
    readOnly: true,
  });
  return items
    .filter(
      (binding) =>
        binding.spec.appRef.name === app.metadata.name && binding.spec.type === 'app' && binding.metadata.deletionTimestamp === undefined,
    )
    .sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
}

type AppServices = { services: Record<string, VcapServiceEntry[]>; listed: { guid: string; name: string; secret: string }[] };

/** VCAP_SERVICES in CF's shape, and the status entries, of the bindings whose instance and credentials exist. */
async function vcapServicesOf(session: StoreSession, bindings: readonly Binding[]): Promise<AppServices> {
  const result: AppServices = { services: {}, listed: [] };
  for (const binding of bindings) {
    const instance = await getIfExists(session, {
      kind: 'CFServiceInstance',
      namespace: binding.metadata.namespace ?? '',
      name: binding.spec.service.name ?? '',
    });
    const secret = instance === undefined ? undefined : await credentialsSecretOf(session, instance);
    const credentials = secret === undefined ? undefined : credentialsOfSecret(secret);
    if (instance === undefined || secret === undefined || credentials === undefined) continue;
    const entry = vcapServiceEntry(binding, instance, credentials);
    (result.services[entry.label] ??= []).push(entry);
    result.listed.push({ guid: binding.metadata.name, name: entry.name, secret: secret.metadata.name });
  }
  return result;
}

function vcapServiceEntry(binding: Binding, instance: Instance, credentials: Record<string, unknown>): VcapServiceEntry {
  const serviceLabel = instance.spec.type === 'managed' && instance.spec.serviceLabel ? instance.spec.serviceLabel : 'user-provided';
  const bindingName = binding.spec.displayName ?? null;
  return {
    label: serviceLabel,
    name: bindingName ?? instance.spec.displayName,
    tags: [...(instance.spec.tags ?? [])],
    instance_guid: instance.metadata.name,
    instance_name: instance.spec.displayName,
    binding_guid: binding.metadata.name,
    binding_name: bindingName,
    credentials,
    syslog_drain_url: instance.metadata.annotations?.[syslogDrainAnnotation] ?? null,
    volume_mounts: [],
  };
}

async function writeVcapServicesSecret(session: StoreSession, app: App, name: string, vcapServices: string): Promise<void> {
  const namespace = app.metadata.namespace ?? '';
  const data = { VCAP_SERVICES: Buffer.from(vcapServices, 'utf8').toString('base64') };
  const existing = await getIfExists(session, { kind: 'Secret', namespace, name });
  if (existing !== undefined) {
    if (existing.data?.['VCAP_SERVICES'] === data.VCAP_SERVICES) return;
    await session.patch(refOf(existing), { data }, { resourceVersion: existing.metadata.resourceVersion ?? '' });
    return;
  }
  try {
    await session.create({
      kind: 'Secret',
      metadata: {
        name,
        namespace,
        ownerReferences: [appControllerReference(app)],
      },
      data,
    });
  } catch (error) {
    if (!isStoreError(error, 'AlreadyExists')) throw error;
  }
}
