import type { RouteTarget, RoutingTable } from './app-router.ts';

/** One route as the router matches it: its fully qualified host, its path, and where it sends. */
export type IndexedRoute = { fqdn: string; path: string; targets: readonly RouteTarget[] };

type Entry = { path: string; targets: readonly RouteTarget[] };

/**
 * Routes by host, matched as gorouter matches them: the host exactly (case-insensitive), else the
 * nearest wildcard host (`*.example.com` for `a.b.example.com`), and within a host the route whose
 * path is the longest prefix of the request's path on `/` boundaries (`/api` takes `/api` and
 * `/api/x`, not `/apis`; the route without a path takes everything else). Paths compare without case
 * and without a trailing slash, as gorouter's route keys do. Routes of the same host and path (which
 * Cloud Controller never lets exist) share one entry with their targets joined.
 *
 * Lookups cost a Map get and a walk over the host's few paths; they answer the same frozen array for a
 * route until it changes, so a caller may key state (round robin) on it.
 */
export class RouteIndex implements RoutingTable {
  readonly #routes = new Map<string, IndexedRoute>();
  readonly #keysByHost = new Map<string, Set<string>>();
  readonly #entriesByHost = new Map<string, readonly Entry[]>();

  /** Sets (or replaces) the route stored under `key`; undefined removes it. */
  set(key: string, route: IndexedRoute | undefined): void {
    const before = this.#routes.get(key);
    if (before === undefined && route === undefined) return;
    const normalized = route === undefined ? undefined : normalizeRoute(route);
    if (before !== undefined) {
      this.#routes.delete(key);
      this.#keysByHost.get(before.fqdn)?.delete(key);
    }
    if (normalized !== undefined) {
      this.#routes.set(key, normalized);
      const keys = this.#keysByHost.get(normalized.fqdn) ?? new Set<string>();
      keys.add(key);
      this.#keysByHost.set(normalized.fqdn, keys);
    }
    if (before !== undefined) this.#rebuild(before.fqdn);
    if (normalized !== undefined && normalized.fqdn !== before?.fqdn) this.#rebuild(normalized.fqdn);
  }

  /** The keys of every stored route. */
  keys(): IterableIterator<string> {
    return this.#routes.keys();
  }

  lookup(host: string, path: string): readonly RouteTarget[] | undefined {
    const requestPath = normalizePath(pathOnly(path));
    let candidate: string | undefined = host.toLowerCase();
    while (candidate !== undefined) {
      const entries = this.#entriesByHost.get(candidate);
      if (entries !== undefined) {
        const match = entries.find((entry) => pathMatches(entry.path, requestPath));
        if (match !== undefined) return match.targets;
      }
      candidate = nextWildcard(candidate);
    }
    return undefined;
  }

  #rebuild(fqdn: string): void {
    const keys = this.#keysByHost.get(fqdn);
    if (keys === undefined || keys.size === 0) {
      this.#keysByHost.delete(fqdn);
      this.#entriesByHost.delete(fqdn);
      return;
    }
    const byPath = new Map<string, RouteTarget[]>();
    for (const key of [...keys].sort()) {
      const route = this.#routes.get(key);
      if (route === undefined) continue;
      byPath.set(route.path, [...(byPath.get(route.path) ?? []), ...route.targets]);
    }
    const entries = [...byPath].map(([path, targets]) => Object.freeze({ path, targets: Object.freeze(distinct(targets)) }));
    entries.sort((a, b) => b.path.length - a.path.length);
    this.#entriesByHost.set(fqdn, Object.freeze(entries));
  }
}

function normalizeRoute(route: IndexedRoute): IndexedRoute {
  return { fqdn: route.fqdn.toLowerCase(), path: normalizePath(route.path), targets: route.targets };
}

/** Lower case, without a trailing slash (the root path is the empty path). */
function normalizePath(path: string): string {
  const lower = path.toLowerCase();
  return lower.endsWith('/') ? lower.replace(/\/+$/, '') : lower;
}

/** The path of a request target: without query or fragment; an absolute-form target's path. */
function pathOnly(target: string): string {
  let path = target;
  if (!path.startsWith('/')) {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(path);
    path = scheme === null ? `/${path}` : path.slice(scheme[0].length);
  }
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

function pathMatches(routePath: string, requestPath: string): boolean {
  if (routePath === '') return true;
  if (!requestPath.startsWith(routePath)) return false;
  return requestPath.length === routePath.length || requestPath.charCodeAt(routePath.length) === 0x2f;
}

/** `a.b.example.com` → `*.b.example.com` → `*.example.com` → `*.com` → undefined. */
function nextWildcard(host: string): string | undefined {
  const rest = host.startsWith('*.') ? host.slice(2) : host;
  const dot = rest.indexOf('.');
  return dot === -1 ? undefined : `*${rest.slice(dot)}`;
}

function distinct(targets: readonly RouteTarget[]): RouteTarget[] {
  const seen = new Set<string>();
  const kept: RouteTarget[] = [];
  for (const target of targets) {
    const key = `${target.appGuid}\n${target.processType}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(Object.freeze({ appGuid: target.appGuid, processType: target.processType }));
  }
  return kept;
}
