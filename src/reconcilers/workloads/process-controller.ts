import type { AppRuntime, HealthCheckSpec, InstanceStatus, ProcessWorkload } from '../../app-runtime/app-runtime.ts';
import { vcapApplicationAsServer } from '../../domain/apps/app-env-document.ts';
import { appRevisionAnnotation } from '../../domain/apps/app-state.ts';
import { envSecretNameOf } from '../../domain/apps/app-service.ts';
import { instancesLimitOf } from '../../domain/processes/instance-limit.ts';
import { restartRequestAnnotation } from '../../domain/processes/process-service.ts';
import { desiredInstancesOf, effectiveCommand, effectiveHealthCheckType, type Process } from '../../domain/processes/process-spec.ts';
import { jsonEqual } from '../../store/json-equal.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import { getIfExists } from '../../store/lookups.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { Ref, StoreSession } from '../../store/port.ts';
import { refOf } from '../../store/refs.ts';
import { conditionTime, withConditions } from './conditions.ts';
import type { KindControllerDefinition, WorkloadContext } from './kind-controller.ts';

type App = StoredObject<'CFApp'>;
type ProcessStatus = NonNullable<Process['status']>;

/** The port an app listens on when its droplet names none (CF's default). */
const defaultPort = 8080;

/**
 * The workload last handed to each runtime, by process GUID, so that a reconcile which changes nothing
 * does not apply it again (a runtime reports every apply as a change, which would reconcile the process
 * again). Forgotten on a restart of the server: the first reconcile then applies once, which the
 * runtime's idempotence makes harmless.
 */
const appliedWorkloads = new WeakMap<AppRuntime, Map<string, string>>();

function appliedTo(runtime: AppRuntime): Map<string, string> {
  let applied = appliedWorkloads.get(runtime);
  if (applied === undefined) {
    applied = new Map<string, string>();
    appliedWorkloads.set(runtime, applied);
  }
  return applied;
}

const restartRequestPrefix = restartRequestAnnotation(0).replace(/0$/, '');

/**
 * What Korifi's CFProcess controller (with its AppWorkload runner) does, over the runtime port: while
 * the app is STARTED and the process wants instances, the runtime runs `desiredInstances` of the app's
 * current droplet with the process's command (or the detected one), the app's environment and its
 * revision (`app-rev`, which every stop bumps, so a restart replaces every instance); otherwise the
 * runtime runs nothing for it. Restart requests for single instances (annotations the API leaves) are
 * carried out and removed. `status.actualInstances` and `status.instancesStatus` report what the runtime
 * runs, refreshed whenever the runtime reports a change; `Ready` says the process has been reconciled.
 */
export const processController: KindControllerDefinition<'CFProcess'> = {
  kind: 'CFProcess',
  watches: [{ kind: 'CFApp', affected: (app, { session }) => processesOfApp(session, app) }],
  runtimeChanges: async (change, { session }) => {
    if (change.kind !== 'process') return [];
    return (await session.list('CFProcess', { name: change.guid })).items.map((process) => refOf(process));
  },
  async reconcile(context, ref, process) {
    const { session, runtime } = context;
    if (process === undefined || process.metadata.deletionTimestamp !== undefined) {
      await stopRunning(runtime, ref.name);
      return undefined;
    }
    const app = await getIfExists(session, { kind: 'CFApp', namespace: process.metadata.namespace ?? '', name: process.spec.appRef.name });
    if (app === undefined || app.metadata.deletionTimestamp !== undefined) {
      await stopRunning(runtime, ref.name);
      return undefined;
    }
    const wanted = app.spec.desiredState === 'STARTED' && desiredInstancesOf(process) > 0;
    if (wanted) {
      const workload = await workloadOf(context, app, process);
      // No staged droplet to run (yet): the app's droplet change brings the process back.
      if (workload === undefined) return undefined;
      await apply(runtime, workload);
    } else {
      await stopRunning(runtime, process.metadata.name);
    }
    const current = await carryOutRestartRequests(session, runtime, process, wanted);
    await writeStatus(session, current, await runtime.processInstances(process.metadata.name));
    return undefined;
  },
};

/**
 * The processes an app's change concerns. An app without a droplet runs nothing, so its changes concern
 * none (which spares a list per app when the controller starts over thousands of apps).
 */
async function processesOfApp(session: StoreSession, app: App): Promise<Ref<'CFProcess'>[]> {
  if ((app.spec.currentDropletRef?.name ?? '') === '') return [];
  const { items } = await session.list('CFProcess', {
    namespace: app.metadata.namespace ?? '',
    labelSelector: [{ key: label('app-guid'), operator: 'equals', value: app.metadata.name }],
  });
  return items.filter((process) => process.spec.appRef.name === app.metadata.name).map((process) => refOf(process));
}

async function apply(runtime: AppRuntime, workload: ProcessWorkload): Promise<void> {
  const applied = appliedTo(runtime);
  const fingerprint = JSON.stringify(workload);
  if (applied.get(workload.processGuid) === fingerprint) return;
  await runtime.applyProcess(workload);
  applied.set(workload.processGuid, fingerprint);
}

async function stopRunning(runtime: AppRuntime, processGuid: string): Promise<void> {
  appliedTo(runtime).delete(processGuid);
  await runtime.removeProcess(processGuid);
}

/** What the runtime should run for the process, or undefined when the app's current droplet is not a staged build. */
async function workloadOf(context: WorkloadContext, app: App, process: Process): Promise<ProcessWorkload | undefined> {
  const namespace = app.metadata.namespace ?? '';
  const staged = await stagedDropletOf(context.session, app);
  if (staged === undefined) return undefined;
  const { guid, droplet } = staged;
  const ports = droplet.ports && droplet.ports.length > 0 ? droplet.ports : [defaultPort];
  return {
    processGuid: process.metadata.name,
    appGuid: app.metadata.name,
    spaceGuid: namespace,
    processType: process.spec.processType,
    droplet: { guid, image: droplet.registry.image },
    command: effectiveCommand(process) ?? '',
    // The API refuses more than the limit; a count stored before the limit was lowered (or written past the
    // API) still runs no more than it.
    instances: Math.min(desiredInstancesOf(process), instancesLimitOf(context.config)),
    memoryMB: process.spec.memoryMB,
    diskMB: process.spec.diskQuotaMB,
    healthCheck: healthCheckOf(process),
    ports,
    environment: await environmentOf(context, app, process, ports[0] ?? defaultPort),
    revision: app.metadata.annotations?.[appRevisionAnnotation] ?? '0',
  };
}

/** The app's current droplet, when its build is STAGED. */
async function stagedDropletOf(session: StoreSession, app: App) {
  const ref = { kind: 'CFBuild' as const, namespace: app.metadata.namespace ?? '', name: app.spec.currentDropletRef?.name ?? '' };
  const build = ref.name === '' ? undefined : await getIfExists(session, ref);
  const droplet = build?.status?.state === 'STAGED' ? build.status.droplet : undefined;
  return droplet === undefined ? undefined : { guid: ref.name, droplet };
}

function healthCheckOf(process: Process): HealthCheckSpec {
  const { data } = process.spec.healthCheck;
  return {
    type: effectiveHealthCheckType(process),
    ...(data.httpEndpoint ? { endpoint: data.httpEndpoint } : {}),
    timeoutSeconds: data.timeoutSeconds,
    invocationTimeoutSeconds: data.invocationTimeoutSeconds,
  };
}

const decoded = (data: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));

/**
 * The environment an instance sees, as Korifi's process env builder makes it: the user's variables,
 * VCAP_APPLICATION and VCAP_SERVICES from the Secrets the app's status names, and the port and memory
 * facts CF apps read.
 */
async function environmentOf(context: WorkloadContext, app: App, process: Process, port: number): Promise<Record<string, string>> {
  const { session } = context;
  const namespace = app.metadata.namespace ?? '';
  const secretData = async (name: string | undefined) =>
    name === undefined || name === '' ? {} : decoded((await getIfExists(session, { kind: 'Secret', namespace, name }))?.data);
  const user = await secretData(app.spec.envSecretName ?? envSecretNameOf(app.metadata.name));
  const vcapApplication =
    (await secretData(app.status?.vcapApplicationSecretName))['VCAP_APPLICATION'] ??
    JSON.stringify(await vcapApplicationAsServer(session, app, context.config.externalUrl));
  const vcapServices = (await secretData(app.status?.vcapServicesSecretName))['VCAP_SERVICES'] ?? '{}';
  return {
    ...user,
    VCAP_APPLICATION: vcapApplication,
    VCAP_SERVICES: vcapServices,
    VCAP_APP_HOST: '0.0.0.0',
    VCAP_APP_PORT: String(port),
    PORT: String(port),
    MEMORY_LIMIT: `${process.spec.memoryMB}m`,
  };
}

/**
 * Restarts the instances the API was asked to restart (while the process runs; a request for a stopped
 * process has nothing to do) and removes the requests, onto the version read. Answers the process as it
 * is afterwards.
 */
async function carryOutRestartRequests(session: StoreSession, runtime: AppRuntime, process: Process, running: boolean): Promise<Process> {
  const requests = Object.keys(process.metadata.annotations ?? {}).filter((key) => key.startsWith(restartRequestPrefix));
  if (requests.length === 0) return process;
  for (const key of requests) {
    const index = Number(key.slice(restartRequestPrefix.length));
    if (running && Number.isSafeInteger(index)) await runtime.restartInstance(process.metadata.name, index);
  }
  const annotations = Object.fromEntries(requests.map((key) => [key, null]));
  return session.patch(refOf(process), { metadata: { annotations } }, { resourceVersion: process.metadata.resourceVersion ?? '' });
}

const recordedOf = (status: ProcessStatus | undefined) => ({
  observedGeneration: status?.observedGeneration,
  actualInstances: status?.actualInstances ?? 0,
  instancesStatus: status?.instancesStatus ?? {},
});

/** Records what the runtime runs (only when it changed), onto the version read. */
async function writeStatus(session: StoreSession, process: Process, instances: readonly InstanceStatus[]): Promise<void> {
  const generation = process.metadata.generation ?? 0;
  const instancesStatus: NonNullable<ProcessStatus['instancesStatus']> = Object.fromEntries(
    instances.map((instance) => [String(instance.index), { state: instance.state, timestamp: conditionTime(instance.since) }]),
  );
  const actualInstances = instances.filter((instance) => instance.state !== 'DOWN').length;
  const ready = { type: 'Ready', status: 'True' as const, reason: 'Ready', message: '', observedGeneration: generation };
  const conditions = withConditions(process.status?.conditions, [ready], new Date());
  const status = process.status;
  if (conditions === undefined && jsonEqual(recordedOf(status), { observedGeneration: generation, actualInstances, instancesStatus }))
    return;
  await session.updateStatus({
    ...process,
    status: {
      ...status,
      observedGeneration: generation,
      actualInstances,
      instancesStatus,
      conditions: conditions ?? status?.conditions ?? [],
    },
  });
}
