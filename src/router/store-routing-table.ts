import type { Logger } from '../logger.ts';
import { Informer } from '../store/informer.ts';
import type { StoredObject } from '../store/objects.ts';
import type { Store, WatchEvent } from '../store/port.ts';
import type { RouteTarget, RoutingTable } from './app-router.ts';
import { RouteIndex, type IndexedRoute } from './route-index.ts';

type Route = StoredObject<'CFRoute'>;
type Domain = StoredObject<'CFDomain'>;

/** What the table keeps of a route: enough to place it again when its domain changes. */
type RouteRecord = { host: string; path: string; domainGuid: string; targets: readonly RouteTarget[] };

/**
 * A RoutingTable kept current from the store's CFRoute and CFDomain objects (watch, all namespaces, as
 * the server). Two informers (the reconcilers' list-then-watch machinery, which lists again after a
 * watch ends) feed an in-memory index; lookups never touch the store.
 */
export async function watchRoutingTable(store: Store, logger: Logger): Promise<RoutingTable & { close(): void }> {
  const table = new StoreRoutingTable();
  const session = store.privileged();
  const domains = new Informer<'CFDomain'>({
    session,
    kind: 'CFDomain',
    logger,
    readOnly: true,
    onList: (objects) => table.domainsListed(objects),
    onEvent: (event) => table.domainChanged(event),
  });
  const routes = new Informer<'CFRoute'>({
    session,
    kind: 'CFRoute',
    logger,
    readOnly: true,
    onList: (objects) => table.routesListed(objects),
    onEvent: (event) => table.routeChanged(event),
  });
  // Domains first, so that the first routes find theirs.
  await domains.start();
  try {
    await routes.start();
  } catch (error) {
    await domains.stop();
    throw error;
  }
  return {
    lookup: (host, path) => table.lookup(host, path),
    close: () => {
      Promise.all([routes.stop(), domains.stop()]).catch((error: unknown) =>
        logger.warn({ err: error }, 'stopping the routing table’s watches failed'),
      );
    },
  };
}

/**
 * Routes and domains as the informers last saw them, and the index built from both: a route is in the
 * index while its domain is known; fqdn = `host.domain`, or the domain itself for an empty host.
 */
export class StoreRoutingTable implements RoutingTable {
  readonly #index = new RouteIndex();
  readonly #domainNames = new Map<string, string>();
  readonly #routes = new Map<string, RouteRecord>();
  readonly #routesByDomain = new Map<string, Set<string>>();

  lookup(host: string, path: string): readonly RouteTarget[] | undefined {
    return this.#index.lookup(host, path);
  }

  domainsListed(domains: readonly Domain[]): void {
    const listed = new Map(domains.map((domain) => [domain.metadata.name, domain]));
    for (const guid of [...this.#domainNames.keys()]) if (!listed.has(guid)) this.#setDomain(guid, undefined);
    for (const domain of domains) this.#setDomain(domain.metadata.name, domain);
  }

  domainChanged(event: WatchEvent<'CFDomain'>): void {
    this.#setDomain(event.object.metadata.name, event.type === 'DELETED' ? undefined : event.object);
  }

  routesListed(routes: readonly Route[]): void {
    const listed = new Set(routes.map(routeKey));
    for (const key of [...this.#routes.keys()]) if (!listed.has(key)) this.#setRoute(key, undefined);
    for (const route of routes) this.#setRoute(routeKey(route), route);
  }

  routeChanged(event: WatchEvent<'CFRoute'>): void {
    this.#setRoute(routeKey(event.object), event.type === 'DELETED' ? undefined : event.object);
  }

  #setDomain(guid: string, domain: Domain | undefined): void {
    const name = domain === undefined || domain.metadata.deletionTimestamp !== undefined ? undefined : domain.spec.name.toLowerCase();
    if (this.#domainNames.get(guid) === name) return;
    if (name === undefined) this.#domainNames.delete(guid);
    else this.#domainNames.set(guid, name);
    for (const key of this.#routesByDomain.get(guid) ?? []) this.#place(key);
  }

  #setRoute(key: string, route: Route | undefined): void {
    const before = this.#routes.get(key);
    if (before !== undefined) this.#routesByDomain.get(before.domainGuid)?.delete(key);
    const record = route === undefined ? undefined : recordOf(route);
    if (record === undefined) {
      this.#routes.delete(key);
    } else {
      this.#routes.set(key, record);
      const keys = this.#routesByDomain.get(record.domainGuid) ?? new Set<string>();
      keys.add(key);
      this.#routesByDomain.set(record.domainGuid, keys);
    }
    if (before !== undefined && this.#routesByDomain.get(before.domainGuid)?.size === 0) this.#routesByDomain.delete(before.domainGuid);
    this.#place(key);
  }

  /** Puts the route under `key` into the index as it now is, or takes it out. */
  #place(key: string): void {
    const record = this.#routes.get(key);
    const domainName = record === undefined ? undefined : this.#domainNames.get(record.domainGuid);
    this.#index.set(key, record === undefined || domainName === undefined ? undefined : indexed(record, domainName));
  }
}

const routeKey = (route: Route): string => `${route.metadata.namespace ?? ''}/${route.metadata.name}`;

/** The route as routed: none while it is being deleted or when it is a TCP route (this router speaks HTTP). */
function recordOf(route: Route): RouteRecord | undefined {
  if (route.metadata.deletionTimestamp !== undefined || route.spec.protocol === 'tcp') return undefined;
  const targets = (route.spec.destinations ?? []).map((destination) => ({
    appGuid: destination.appRef.name,
    processType: destination.processType || 'web',
  }));
  return { host: route.spec.host ?? '', path: route.spec.path ?? '', domainGuid: route.spec.domainRef.name ?? '', targets };
}

function indexed(record: RouteRecord, domainName: string): IndexedRoute {
  const fqdn = record.host === '' ? domainName : `${record.host}.${domainName}`;
  return { fqdn, path: record.path, targets: record.targets };
}
