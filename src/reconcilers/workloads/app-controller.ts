import { appControllerReference } from '../../domain/apps/app-owner-reference.ts';
import { desiredInstancesOf, newProcessSpec, processGuidOf, type Process } from '../../domain/processes/process-spec.ts';
import { isStoreError } from '../../store/errors.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import { getIfExists } from '../../store/lookups.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { StoreSession } from '../../store/port.ts';
import { refOf } from '../../store/refs.ts';
import { isConditionTrue, withConditions, type WantedCondition } from './conditions.ts';
import type { KindControllerDefinition } from './kind-controller.ts';

type App = StoredObject<'CFApp'>;
type AppState = 'STARTED' | 'STOPPED';
type DropletProcessType = { type: string; command: string };

/** How long to look again while processes are not ready yet (their own changes also bring the app back). */
const processesNotReadyRequeueMs = 2_000;

type Observation = {
  actualState: AppState;
  ready: Omit<WantedCondition, 'type' | 'observedGeneration'>;
  requeueAfterMs?: number;
};

const notReady = (actualState: AppState, reason: string, message: string): Observation => ({
  actualState,
  ready: { status: 'False', reason, message },
});

/**
 * What Korifi's CFApp controller does for processes: once `spec.currentDropletRef` names a staged build
 * of the app, makes sure it has one CFProcess per process type of the droplet (and `web` always), with
 * Korifi's names and defaults, created as the app's controlled dependents; a later droplet only changes their detected command, so what users scaled or
 * set stays. `status.actualState` follows the workloads as in Korifi: STARTED while any instance exists
 * (whatever its health), STOPPED when none does; and, where Korifi would wait forever, STARTED at once
 * when the app is started but none of its processes wants an instance. `Ready` (with
 * `observedGeneration`) holds when the actual state is the desired one and every process is reconciled,
 * with Korifi's reasons otherwise (`DropletNotAssigned`, `CannotResolveCurrentDropletRef`,
 * `DesiredStateNotReached`, `ProcessesNotReady`).
 *
 * Korifi's controller also writes a VCAP_APPLICATION Secret per app and names it in the status; this
 * one does not: nothing here reads it (the env document and the process controller derive
 * VCAP_APPLICATION from the app, its space and its org, which is all the Secret holds), and at 10,000
 * apps it would be 10,000 Secrets written at the first start.
 */
export const appController: KindControllerDefinition<'CFApp'> = {
  kind: 'CFApp',
  watches: [
    { kind: 'CFProcess', affected: (process) => [appRefOf(process.metadata.namespace, process.spec.appRef.name)] },
    { kind: 'CFBuild', affected: (build) => [appRefOf(build.metadata.namespace, build.spec.appRef.name)] },
  ],
  async reconcile(context, _ref, app) {
    if (app === undefined || app.metadata.deletionTimestamp !== undefined) return undefined;
    const observation = await observe(context.session, app);
    await writeStatus(context.session, app, observation);
    return observation.requeueAfterMs === undefined ? undefined : { requeueAfterMs: observation.requeueAfterMs };
  },
};

const appRefOf = (namespace: string | undefined, name: string) => ({ kind: 'CFApp' as const, namespace: namespace ?? '', name });

async function observe(session: StoreSession, app: App): Promise<Observation> {
  const dropletGuid = app.spec.currentDropletRef?.name ?? '';
  if (dropletGuid === '') return notReady('STOPPED', 'DropletNotAssigned', 'The app has no current droplet.');
  const droplet = await currentDroplet(session, app, dropletGuid);
  if (droplet === undefined) {
    return notReady('STOPPED', 'CannotResolveCurrentDropletRef', `The current droplet ${dropletGuid} is not a staged droplet of this app.`);
  }
  const processes = await reconcileProcesses(session, app, droplet.processTypes ?? []);
  const actualState = actualStateOf(app, processes);
  if (actualState !== app.spec.desiredState) {
    return notReady(actualState, 'DesiredStateNotReached', `The app is ${actualState}, not yet ${app.spec.desiredState}.`);
  }
  if (!processes.every(isProcessReady)) {
    return {
      ...notReady(actualState, 'ProcessesNotReady', 'Not every process of the app is reconciled yet.'),
      requeueAfterMs: processesNotReadyRequeueMs,
    };
  }
  return { actualState, ready: { status: 'True', reason: 'Ready', message: '' } };
}

/** The droplet of the app's current build, if that build is the app's and STAGED. */
async function currentDroplet(session: StoreSession, app: App, dropletGuid: string) {
  const build = await getIfExists(session, { kind: 'CFBuild', namespace: app.metadata.namespace ?? '', name: dropletGuid });
  if (build?.status?.state !== 'STAGED' || build.spec.appRef.name !== app.metadata.name) return undefined;
  return build.status.droplet;
}

function actualStateOf(app: App, processes: readonly Process[]): AppState {
  const running = processes.reduce((sum, process) => sum + (process.status?.actualInstances ?? 0), 0);
  if (running > 0) return 'STARTED';
  const wantsNothing = processes.every((process) => desiredInstancesOf(process) === 0);
  return app.spec.desiredState === 'STARTED' && wantsNothing ? 'STARTED' : 'STOPPED';
}

const isProcessReady = (process: Process): boolean =>
  isConditionTrue(process.status?.conditions, 'Ready') && process.status?.observedGeneration === process.metadata.generation;

/** Korifi's `addWebIfMissing`: an app always has a web process, with no detected command if the droplet has none. */
function withWeb(processTypes: readonly DropletProcessType[]): DropletProcessType[] {
  return processTypes.some((processType) => processType.type === 'web')
    ? [...processTypes]
    : [{ type: 'web', command: '' }, ...processTypes];
}

/** One CFProcess per droplet process type: created when missing, only its detected command kept current otherwise. */
async function reconcileProcesses(session: StoreSession, app: App, processTypes: readonly DropletProcessType[]): Promise<Process[]> {
  const namespace = app.metadata.namespace ?? '';
  const { items } = await session.list('CFProcess', {
    namespace,
    labelSelector: [{ key: label('app-guid'), operator: 'equals', value: app.metadata.name }],
  });
  const existing = items.filter((process) => process.spec.appRef.name === app.metadata.name);
  const reconciled: Process[] = [];
  for (const { type, command } of withWeb(processTypes)) {
    const found = existing.find((process) => process.spec.processType === type);
    if (found === undefined) reconciled.push(await createProcess(session, app, type, command));
    else if ((found.spec.detectedCommand ?? '') !== command) {
      reconciled.push(
        await session.patch(
          refOf(found),
          { spec: { detectedCommand: command } },
          { resourceVersion: found.metadata.resourceVersion ?? '' },
        ),
      );
    } else reconciled.push(found);
  }
  return reconciled;
}

async function createProcess(session: StoreSession, app: App, processType: string, detectedCommand: string): Promise<Process> {
  const namespace = app.metadata.namespace ?? '';
  const name = processGuidOf(app.metadata.name, processType);
  try {
    return await session.create({
      kind: 'CFProcess',
      metadata: {
        name,
        namespace,
        labels: { [label('app-guid')]: app.metadata.name, [label('process-type')]: processType },
        ownerReferences: [appControllerReference(app)],
      },
      spec: newProcessSpec(app.metadata.name, processType, detectedCommand),
    });
  } catch (error) {
    // Another replica, or a manifest, made it first: theirs is the process.
    if (!isStoreError(error, 'AlreadyExists')) throw error;
    return session.get({ kind: 'CFProcess', namespace, name });
  }
}

/** Writes what was observed, only when it changed, onto the version that was read. */
async function writeStatus(session: StoreSession, app: App, observation: Observation): Promise<void> {
  const generation = app.metadata.generation ?? 0;
  const conditions = withConditions(
    app.status?.conditions,
    [{ type: 'Ready', observedGeneration: generation, ...observation.ready }],
    new Date(),
  );
  const status = app.status;
  const unchanged = conditions === undefined && status?.observedGeneration === generation && status.actualState === observation.actualState;
  if (unchanged) return;
  await session.patchStatus(
    refOf(app),
    {
      observedGeneration: generation,
      actualState: observation.actualState,
      conditions: conditions ?? status?.conditions ?? [],
    },
    { resourceVersion: app.metadata.resourceVersion ?? '' },
  );
}
