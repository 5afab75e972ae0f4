import { appGuidsAnnotation, appGuidsOf, destinationsPatch } from '../../domain/routes/route-writes.ts';
import { isStoreError } from '../../store/errors.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import type { RouteDestination } from '../../store/korifi-types.ts';
import { getIfExists } from '../../store/lookups.ts';
import type { StoredObject } from '../../store/objects.ts';
import type { Ref, StoreSession } from '../../store/port.ts';
import { refOf } from '../../store/refs.ts';
import { withConditions, type WantedCondition } from './conditions.ts';
import type { KindControllerDefinition, WorkloadContext } from './kind-controller.ts';

type Route = StoredObject<'CFRoute'>;

/** The port an app listens on when neither the destination nor its droplet says: CF's default. */
const defaultAppPort = 8080;

/**
 * What Korifi's controllers do to CFRoutes, as far as the API relies on it, where they are absent:
 *
 * - the route controller's status: `fqdn` (lower-cased host and domain), `uri` (with the path), the
 *   effective `destinations` (protocol `http1` unless given; a port from the destination, else the
 *   first port of the app's current droplet, else 8080; a destination whose app has no droplet yet is
 *   left out, as in Korifi), `observedGeneration` and `Ready` (False with `InvalidDomainRef` while the
 *   domain cannot be read);
 * - what Korifi's app controller does on an app's deletion: the app leaves every route's destinations
 *   (here for every destination whose app is gone or going);
 * - what Korifi's domain controller does on a domain's deletion: the domain's routes are deleted;
 * - the `app-guids` annotation its webhook keeps, set again if a writer left it out of step.
 *
 * The routing itself (Services, HTTPRoutes) is the runtime's business and not done here.
 */
export const routeController: KindControllerDefinition<'CFRoute'> = {
  kind: 'CFRoute',
  watches: [
    // An app's changes (its deletion, its current droplet) concern the routes that send to it.
    { kind: 'CFApp', affected: (app, context) => indexOf(context).routesSendingTo(app.metadata.namespace ?? '', app.metadata.name) },
    // A domain's deletion concerns its routes.
    {
      kind: 'CFDomain',
      affected: async (domain, context) => {
        const selector = [{ key: label('domain-guid'), operator: 'equals' as const, value: domain.metadata.name }];
        const routes = await context.session.list('CFRoute', { labelSelector: selector, readOnly: true });
        return routes.items.map((route) => refOf(route));
      },
    },
  ],
  async reconcile(context, ref, route) {
    indexOf(context).note(ref, route);
    if (route === undefined || route.metadata.deletionTimestamp !== undefined) return undefined;
    const domainRef = route.spec.domainRef;
    const domainRead = await readDomain(context.session, domainRef.namespace ?? context.config.rootNamespace, domainRef.name ?? '');
    if (domainRead === 'gone') {
      await context.session.delete(refOf(route), { resourceVersion: route.metadata.resourceVersion ?? '' }).catch((error: unknown) => {
        if (!isStoreError(error, 'NotFound')) throw error;
      });
      return undefined;
    }
    const current = await keepDestinationsInStep(context, route);
    if (current === undefined) return undefined;
    await writeStatus(context, current, domainRead);
    return undefined;
  },
};

/**
 * Which routes send to which app, as this controller last reconciled them (as Korifi indexes routes by
 * destination app): an app's change then concerns its routes without a list of every route of its space.
 * Every route is reconciled at start and after each change, and one whose app went before it was noted
 * drops the destination in its own reconcile, so nothing depends on the index being complete.
 */
class DestinationIndex {
  readonly #routesByApp = new Map<string, Set<string>>();
  readonly #appsByRoute = new Map<string, string[]>();

  note(ref: Ref<'CFRoute'>, route: Route | undefined): void {
    const namespace = ref.namespace ?? '';
    const routeKey = `${namespace}/${ref.name}`;
    for (const appKey of this.#appsByRoute.get(routeKey) ?? []) {
      const routes = this.#routesByApp.get(appKey);
      routes?.delete(ref.name);
      if (routes?.size === 0) this.#routesByApp.delete(appKey);
    }
    const appKeys = [...new Set((route?.spec.destinations ?? []).map((destination) => `${namespace}/${destination.appRef.name}`))];
    if (appKeys.length === 0) {
      this.#appsByRoute.delete(routeKey);
      return;
    }
    this.#appsByRoute.set(routeKey, appKeys);
    for (const appKey of appKeys) {
      const routes = this.#routesByApp.get(appKey) ?? new Set<string>();
      routes.add(ref.name);
      this.#routesByApp.set(appKey, routes);
    }
  }

  routesSendingTo(namespace: string, appGuid: string): Ref<'CFRoute'>[] {
    return [...(this.#routesByApp.get(`${namespace}/${appGuid}`) ?? [])].map((name) => ({ kind: 'CFRoute', namespace, name }));
  }
}

/** One index per running controller (its context). */
const indexes = new WeakMap<WorkloadContext, DestinationIndex>();

function indexOf(context: WorkloadContext): DestinationIndex {
  let index = indexes.get(context);
  if (index === undefined) {
    index = new DestinationIndex();
    indexes.set(context, index);
  }
  return index;
}

async function readDomain(
  session: StoreSession,
  namespace: string,
  name: string,
): Promise<StoredObject<'CFDomain'> | 'gone' | 'unreadable'> {
  try {
    return await session.get({ kind: 'CFDomain', namespace, name });
  } catch (error) {
    if (isStoreError(error, 'NotFound')) return 'gone';
    if (isStoreError(error, 'Forbidden')) return 'unreadable';
    throw error;
  }
}

/**
 * Drops the destinations whose app is gone or being deleted, and sets the `app-guids` annotation if it
 * is out of step. Answers the route as it now is, or undefined when it changed under us (the write that
 * changed it queues the next reconcile).
 */
async function keepDestinationsInStep(context: WorkloadContext, route: Route): Promise<Route | undefined> {
  const destinations = route.spec.destinations ?? [];
  const kept = await destinationsOfLiveApps(context.session, route.metadata.namespace ?? '', destinations);
  const inStep = route.metadata.annotations?.[appGuidsAnnotation] === appGuidsOf(kept);
  if (kept.length === destinations.length && inStep) return route;
  const patch = kept.length === destinations.length ? { metadata: destinationsPatch(kept).metadata } : destinationsPatch(kept);
  try {
    return await context.session.patch(refOf(route), patch, { resourceVersion: route.metadata.resourceVersion ?? '' });
  } catch (error) {
    if (isStoreError(error, 'Conflict') || isStoreError(error, 'NotFound')) return undefined;
    throw error;
  }
}

/** The destinations whose app exists and is not being deleted. */
async function destinationsOfLiveApps(
  session: StoreSession,
  namespace: string,
  destinations: readonly RouteDestination[],
): Promise<RouteDestination[]> {
  const live = new Map<string, boolean>();
  const kept: RouteDestination[] = [];
  for (const destination of destinations) {
    const appGuid = destination.appRef.name;
    if (!live.has(appGuid)) {
      const app = await getIfExists(session, { kind: 'CFApp', namespace, name: appGuid });
      live.set(appGuid, app !== undefined && app.metadata.deletionTimestamp === undefined);
    }
    if (live.get(appGuid) === true) kept.push(destination);
  }
  return kept;
}

type RouteStatus = NonNullable<Route['status']>;

/** The status Korifi's route controller settles: address and effective destinations once the domain is read. */
async function wantedStatus(
  session: StoreSession,
  route: Route,
  domain: StoredObject<'CFDomain'> | 'unreadable',
): Promise<{ ready: WantedCondition; settled: Pick<RouteStatus, 'fqdn' | 'uri' | 'destinations'> }> {
  const observedGeneration = route.metadata.generation ?? 0;
  if (domain === 'unreadable') {
    const ready = {
      type: 'Ready',
      status: 'False',
      reason: 'InvalidDomainRef',
      message: 'the domain cannot be read',
      observedGeneration,
    } as const;
    return { ready, settled: {} };
  }
  const fqdn = `${(route.spec.host ?? '').toLowerCase()}.${domain.spec.name}`;
  return {
    ready: { type: 'Ready', status: 'True', reason: 'Ready', message: '', observedGeneration },
    settled: { fqdn, uri: `${fqdn}${route.spec.path ?? ''}`, destinations: await effectiveDestinations(session, route) },
  };
}

function settledAlready(status: RouteStatus, settled: Pick<RouteStatus, 'fqdn' | 'uri' | 'destinations'>): boolean {
  const sameAddress = status.fqdn === settled.fqdn && status.uri === settled.uri;
  return sameAddress && JSON.stringify(status.destinations ?? []) === JSON.stringify(settled.destinations ?? []);
}

async function writeStatus(context: WorkloadContext, route: Route, domain: StoredObject<'CFDomain'> | 'unreadable'): Promise<void> {
  const generation = route.metadata.generation ?? 0;
  const status: RouteStatus = route.status ?? {};
  const { ready, settled } = await wantedStatus(context.session, route, domain);
  const conditions = withConditions(status.conditions, [ready], new Date());
  if (conditions === undefined && status.observedGeneration === generation && settledAlready(status, settled)) return;
  await context.session.patchStatus(
    refOf(route),
    {
      ...settled,
      // Replaced whole: a merge patch would keep destinations a shorter list no longer has.
      destinations: settled.destinations ?? [],
      observedGeneration: generation,
      conditions: conditions ?? status.conditions ?? [],
    },
    { resourceVersion: route.metadata.resourceVersion ?? '' },
  );
}

/** Korifi's effective destinations: protocol and port settled; those whose app has no droplet yet left out. */
async function effectiveDestinations(session: StoreSession, route: Route): Promise<RouteDestination[]> {
  const namespace = route.metadata.namespace ?? '';
  const dropletPorts = new Map<string, number[] | undefined>();
  const effective: RouteDestination[] = [];
  for (const destination of route.spec.destinations ?? []) {
    const settled: RouteDestination = { ...destination, protocol: destination.protocol ?? 'http1' };
    if (destination.port === undefined) {
      const appGuid = destination.appRef.name;
      if (!dropletPorts.has(appGuid)) dropletPorts.set(appGuid, await currentDropletPorts(session, namespace, appGuid));
      const ports = dropletPorts.get(appGuid);
      if (ports === undefined) continue;
      settled.port = ports[0] ?? defaultAppPort;
    }
    effective.push(settled);
  }
  return effective;
}

/** The ports of the app's current droplet; undefined when it has none (or the app is gone). */
async function currentDropletPorts(session: StoreSession, namespace: string, appGuid: string): Promise<number[] | undefined> {
  const app = await getIfExists(session, { kind: 'CFApp', namespace, name: appGuid });
  const dropletGuid = app?.spec.currentDropletRef?.name ?? '';
  if (dropletGuid === '') return undefined;
  const build = await getIfExists(session, { kind: 'CFBuild', namespace, name: dropletGuid });
  return build?.status?.droplet?.ports ?? [];
}
