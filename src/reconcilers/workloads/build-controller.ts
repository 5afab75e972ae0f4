import { StagingFailed, type PackageSource, type StagedDroplet } from '../../app-runtime/app-runtime.ts';
import { detectedBuildpackAnnotation } from '../../domain/builds/build-service.ts';
import { isStoreError } from '../../store/errors.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { Ref } from '../../store/port.ts';
import { refOf } from '../../store/refs.ts';
import { withConditions, type WantedCondition } from './conditions.ts';
import type { KindControllerDefinition, WorkloadContext } from './kind-controller.ts';

type Build = StoredObject<'CFBuild'>;
type BuildStatus = NonNullable<Build['status']>;

/** A staging under way: the build it is for (by uid, so a new build of the same name is another) and what stops it. */
type InFlight = { uid: string; abort: AbortController };

/** The stagings each running controller has under way, by build key; a staging outlives the reconcile that started it. */
const inFlightByContext = new WeakMap<WorkloadContext, Map<string, InFlight>>();
const inFlightOf = (context: WorkloadContext): Map<string, InFlight> => {
  const known = inFlightByContext.get(context);
  if (known !== undefined) return known;
  const inFlight = new Map<string, InFlight>();
  inFlightByContext.set(context, inFlight);
  return inFlight;
};

const keyOf = (ref: Ref): string => `${ref.namespace ?? ''}/${ref.name}`;
const isFinished = (build: Build): boolean => build.status?.state === 'STAGED' || build.status?.state === 'FAILED';

/**
 * What Korifi's CFBuild controller (with kpack) does, through the runtime port: a build that has not
 * finished is staged once, in the background, and ends STAGED with its droplet or FAILED with the
 * reason as its Succeeded condition's message. A finished build is never staged again; a build
 * deleted while staging has its staging stopped. A build whose package has no source yet waits for it
 * (the package's changes bring it back here); one whose package is gone fails.
 */
export const buildController: KindControllerDefinition<'CFBuild'> = {
  kind: 'CFBuild',
  watches: [
    {
      kind: 'CFPackage',
      affected: async (cfPackage, { session }) => {
        const builds = await session.list('CFBuild', {
          namespace: cfPackage.metadata.namespace ?? '',
          labelSelector: [{ key: label('package-guid'), operator: 'in', values: [cfPackage.metadata.name] }],
        });
        return builds.items.filter((build) => !isFinished(build)).map((build) => refOf(build));
      },
    },
  ],
  async reconcile(context, ref, build) {
    const inFlight = inFlightOf(context);
    const key = keyOf(ref);
    const running = inFlight.get(key);
    if (build === undefined || build.metadata.deletionTimestamp !== undefined) {
      running?.abort.abort();
      // Gone for good: what the runtime kept of its droplet goes too.
      if (build === undefined) await context.runtime.removeDroplet(ref.name);
      return undefined;
    }
    if (running !== undefined && running.uid !== build.metadata.uid) running.abort.abort();
    else if (running !== undefined) return undefined;
    if (isFinished(build)) return undefined;
    const staging = await stagingOf(context, build);
    if (staging === 'wait') return markStaging(context, build);
    if ('failure' in staging) return finish(context, build, { failure: staging.failure });
    await markStaging(context, build);
    const abort = new AbortController();
    const entry = { uid: build.metadata.uid ?? '', abort };
    inFlight.set(key, entry);
    void runStaging(context, build, staging.source, abort.signal).finally(() => {
      if (inFlight.get(key) === entry) inFlight.delete(key);
    });
    return undefined;
  },
};

type Staging = 'wait' | { failure: string } | { source: PackageSource };

/** What to stage from: the package's image or bits; or why not yet, or not at all. */
async function stagingOf(context: WorkloadContext, build: Build): Promise<Staging> {
  const namespace = build.metadata.namespace ?? '';
  const packageGuid = build.spec.packageRef.name;
  const cfPackage = await context.session.get({ kind: 'CFPackage', namespace, name: packageGuid }).catch((error: unknown) => {
    if (isStoreError(error, 'NotFound')) return undefined;
    throw error;
  });
  if (cfPackage === undefined) return { failure: `The package ${packageGuid} does not exist.` };
  const image = cfPackage.spec.source?.registry.image ?? '';
  if (image === '') return 'wait';
  if (cfPackage.spec.type === 'docker') return { source: { type: 'docker', image } };
  const { bits } = context;
  if (bits === undefined) return { failure: 'This server has no bits store to read the package from.' };
  const ref = { appGuid: build.spec.appRef.name, packageGuid };
  return { source: { type: 'bits', open: async () => (await bits.packages.openPackageBits(ref)).stream } };
}

/** Stages the build and records the outcome; what goes wrong on the way is the build's failure. */
async function runStaging(context: WorkloadContext, build: Build, source: PackageSource, signal: AbortSignal): Promise<void> {
  try {
    const droplet = await context.runtime.stage(
      {
        buildGuid: build.metadata.name,
        appGuid: build.spec.appRef.name,
        spaceGuid: build.metadata.namespace ?? '',
        source,
        buildpacks: build.spec.lifecycle.data.buildpacks ?? [],
        stack: build.spec.lifecycle.data.stack,
        environment: await appEnvironment(context, build),
        memoryMB: build.spec.stagingMemoryMB,
        diskMB: build.spec.stagingDiskMB,
      },
      signal,
    );
    if (!signal.aborted) await finish(context, build, { droplet, source });
  } catch (error) {
    // Stopped (the build went, or the runtime closed with the server): not the app's failure, so the
    // build stays STAGING and whoever reconciles it next stages it again.
    if (signal.aborted || (error instanceof Error && error.name === 'AbortError')) return;
    const failure =
      error instanceof StagingFailed ? error.message : `Staging failed: ${error instanceof Error ? error.message : String(error)}`;
    if (!(error instanceof StagingFailed)) context.logger.warn({ err: error, build: build.metadata.name }, 'staging failed unexpectedly');
    await finish(context, build, { failure }).catch((writeError: unknown) =>
      context.logger.warn({ err: writeError, build: build.metadata.name }, 'recording a failed staging failed'),
    );
  }
}

/** The app's user-provided environment variables, as the staging sees them (none when the app or its Secret is gone). */
async function appEnvironment(context: WorkloadContext, build: Build): Promise<Record<string, string>> {
  const namespace = build.metadata.namespace ?? '';
  const appGuid = build.spec.appRef.name;
  const orNothing = (error: unknown) => {
    if (isStoreError(error, 'NotFound')) return undefined;
    throw error;
  };
  const app = await context.session.get({ kind: 'CFApp', namespace, name: appGuid }).catch(orNothing);
  const secret = await context.session
    .get({ kind: 'Secret', namespace, name: app?.spec.envSecretName ?? `${appGuid}-env` })
    .catch(orNothing);
  return Object.fromEntries(
    Object.entries(secret?.data ?? {}).map(([name, value]) => [name, Buffer.from(value, 'base64').toString('utf8')]),
  );
}

const generationOf = (build: Build) => build.metadata.generation ?? 0;

/** STAGING, with Korifi's conditions: staging under way, success not known yet. */
async function markStaging(context: WorkloadContext, build: Build): Promise<undefined> {
  const generation = generationOf(build);
  const wanted: WantedCondition[] = [
    { type: 'Staging', status: 'True', reason: 'Staging', message: '', observedGeneration: generation },
    { type: 'Succeeded', status: 'Unknown', reason: 'Staging', message: '', observedGeneration: generation },
  ];
  const conditions = withConditions(build.status?.conditions, wanted, new Date());
  if (conditions === undefined && build.status?.state === 'STAGING') return undefined;
  await context.session.patchStatus(
    refOf(build),
    { state: 'STAGING', observedGeneration: generation, conditions: conditions ?? build.status?.conditions ?? [] },
    { resourceVersion: build.metadata.resourceVersion! },
  );
  return undefined;
}

type Outcome = { droplet: StagedDroplet; source: PackageSource } | { failure: string };

/**
 * Records how the staging ended, on the build as it is now: nothing when it was deleted or replaced
 * meanwhile, or has finished already.
 */
async function finish(context: WorkloadContext, staged: Build, outcome: Outcome): Promise<undefined> {
  const current = await context.session.get(refOf(staged)).catch((error: unknown) => {
    if (isStoreError(error, 'NotFound')) return undefined;
    throw error;
  });
  if (current === undefined || current.metadata.uid !== staged.metadata.uid || current.metadata.deletionTimestamp !== undefined) return;
  if (isFinished(current)) return;
  const status: Partial<BuildStatus> = { observedGeneration: generationOf(current), conditions: finishedConditions(current, outcome) };
  if ('failure' in outcome) status.state = 'FAILED';
  else {
    status.state = 'STAGED';
    status.droplet = await dropletOf(context, current, outcome.droplet, outcome.source);
    if (outcome.droplet.buildpack !== undefined && current.spec.lifecycle.type !== 'docker') {
      await context.session.patch(refOf(current), {
        metadata: { annotations: { [detectedBuildpackAnnotation]: outcome.droplet.buildpack } },
      });
    }
  }
  await context.session.patchStatus(refOf(current), status);
  return undefined;
}

/** Staging over, and Succeeded True or False (its message is the build's error). */
function finishedConditions(build: Build, outcome: Outcome) {
  const generation = generationOf(build);
  const failure = 'failure' in outcome ? outcome.failure : undefined;
  const reason = failure === undefined ? 'Staged' : 'StagingFailed';
  const wanted: WantedCondition[] = [
    { type: 'Staging', status: 'False', reason, message: '', observedGeneration: generation },
    { type: 'Succeeded', status: failure === undefined ? 'True' : 'False', reason, message: failure ?? '', observedGeneration: generation },
  ];
  return withConditions(build.status?.conditions, wanted, new Date()) ?? build.status?.conditions ?? [];
}

/** `status.droplet` as Korifi writes it; a docker droplet pulls with the package's image pull secrets. */
async function dropletOf(context: WorkloadContext, build: Build, droplet: StagedDroplet, source: PackageSource) {
  let imagePullSecrets: { name: string }[] | undefined;
  if (source.type === 'docker') {
    const cfPackage = await context.session
      .get({ kind: 'CFPackage', namespace: build.metadata.namespace ?? '', name: build.spec.packageRef.name })
      .catch(() => undefined);
    imagePullSecrets = cfPackage?.spec.source?.registry.imagePullSecrets;
  }
  return {
    registry: { image: droplet.image, ...(imagePullSecrets?.length ? { imagePullSecrets } : {}) },
    stack: droplet.stack,
    processTypes: Object.entries(droplet.processTypes).map(([type, command]) => ({ type, command })),
    ports: [...droplet.ports],
  };
}

/**
 * Keeps the BuilderInfo the API lists buildpacks and stacks from (config `builderName` in the root
 * namespace) Ready, listing what the runtime stages with, as Korifi's kpack builder controller does for
 * its builder. The root namespace's existence brings it here, so a missing BuilderInfo is made at start
 * and made again if deleted.
 */
export const builderInfoController: KindControllerDefinition<'BuilderInfo'> = {
  kind: 'BuilderInfo',
  watches: [
    {
      kind: 'Namespace',
      affected: (namespace, { config }) =>
        namespace.metadata.name === config.rootNamespace
          ? [{ kind: 'BuilderInfo', namespace: config.rootNamespace, name: config.builderName }]
          : [],
    },
  ],
  async reconcile(context, ref, info) {
    const { rootNamespace, builderName } = context.config;
    if (ref.namespace !== rootNamespace || ref.name !== builderName) return undefined;
    if (info?.metadata.deletionTimestamp !== undefined) return undefined;
    const current =
      info ?? (await context.session.create({ kind: 'BuilderInfo', metadata: { name: builderName, namespace: ref.namespace } }));
    const status = builderStatus(context, current);
    if (status === undefined) return undefined;
    await context.session.patchStatus(refOf(current), status, { resourceVersion: current.metadata.resourceVersion! });
    return undefined;
  },
};

/** The status the BuilderInfo must have, or undefined when it has it (entries keep their first timestamps). */
function builderStatus(context: WorkloadContext, info: StoredObject<'BuilderInfo'>) {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const { builder } = context.runtime;
  const previous = info.status;
  const sameBuildpack = (a: { name: string; version: string; stack: string }, b: typeof a) =>
    a.name === b.name && a.version === b.version && a.stack === b.stack;
  const buildpacks = builder.buildpacks.map((buildpack) => {
    const kept = previous?.buildpacks.find((entry) => sameBuildpack(entry, buildpack));
    return { ...buildpack, creationTimestamp: kept?.creationTimestamp ?? now, updatedTimestamp: kept?.updatedTimestamp ?? now };
  });
  const stacks = builder.stacks.map((stack) => {
    const kept = previous?.stacks.find((entry) => entry.name === stack.name && entry.description === stack.description);
    return { ...stack, creationTimestamp: kept?.creationTimestamp ?? now, updatedTimestamp: kept?.updatedTimestamp ?? now };
  });
  const generation = info.metadata.generation ?? 0;
  const ready: WantedCondition = { type: 'Ready', status: 'True', reason: 'BuilderReady', message: '', observedGeneration: generation };
  const conditions = withConditions(previous?.conditions, [ready], new Date());
  const unchanged =
    conditions === undefined &&
    previous?.observedGeneration === generation &&
    JSON.stringify(previous.buildpacks) === JSON.stringify(buildpacks) &&
    JSON.stringify(previous.stacks) === JSON.stringify(stacks);
  if (unchanged) return undefined;
  return { observedGeneration: generation, buildpacks, stacks, conditions: conditions ?? previous?.conditions ?? [] };
}
