import { createHash, randomUUID } from 'node:crypto';
import { authHeaders, type TestServer } from '../test/support/test-server.ts';
import type { WireClient, WireRequest, WireResponse } from './http-client.ts';
import { destructiveOperations, toYaml, type FuzzRequest, type RequestBody } from './requests.ts';
import { poolMarkerPattern, type PoolName } from './schema-arbitrary.ts';
import { storeDigest, sameDigest, type StoreDigest } from './store-digest.ts';

const unknownGuid = (index: number) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
const poolSize = 24;

/**
 * The resources the fuzzer's requests refer to: fixtures made at the start (an org, a space, an app
 * with a droplet and running processes, a route, a task, a service instance and binding, a role), which
 * are never deleted by the fuzzer's DELETEs, and what later responses name (their `links.self`), which
 * may be.
 */
export class World {
  readonly #server: TestServer;
  readonly #client: WireClient;
  readonly #admin: string;
  readonly #pools = new Map<PoolName, string[]>();
  readonly #protected = new Set<string>();
  readonly #fixtures = new Map<PoolName, string[]>();
  setupRequests = 0;

  constructor(server: TestServer, client: WireClient) {
    this.#server = server;
    this.#client = client;
    this.#admin = authHeaders.forUser(server.admin).Authorization;
  }

  async #call(method: string, path: string, body?: unknown, expected?: number): Promise<WireResponse> {
    this.setupRequests++;
    const response = await this.#client.send({
      method,
      path,
      headers: { Authorization: this.#admin, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
    });
    if (expected !== undefined && response.status !== expected)
      throw new Error(`fuzz setup: ${method} ${path} answered ${response.status}: ${response.text.slice(0, 500)}`);
    return response;
  }

  #fixture(pool: PoolName, guid: string): void {
    this.#protected.add(guid);
    const list = this.#fixtures.get(pool) ?? [];
    if (!list.includes(guid)) list.push(guid);
    this.#fixtures.set(pool, list);
  }

  /** Makes the fixtures and records every resource that exists now as protected. */
  async setUp(): Promise<void> {
    const name = (prefix: string) => `fuzz-${prefix}-${randomUUID().slice(0, 8)}`;
    const guidOf = (response: WireResponse) => (response.body as { guid: string }).guid;
    const org = guidOf(await this.#call('POST', '/v3/organizations', { name: name('org') }, 201));
    this.#fixture('org', org);
    const space = guidOf(
      await this.#call('POST', '/v3/spaces', { name: name('space'), relationships: { organization: { data: { guid: org } } } }, 201),
    );
    this.#fixture('space', space);
    const app = guidOf(
      await this.#call(
        'POST',
        '/v3/apps',
        {
          name: name('app'),
          relationships: { space: { data: { guid: space } } },
          lifecycle: { type: 'docker', data: {} },
          environment_variables: { SCRIPTED_PROCESS_TYPES: 'web=run-web;worker=run-worker', SCRIPTED_TASK: 'hang' },
        },
        201,
      ),
    );
    this.#fixture('app', app);
    this.#fixture('deployment', app);
    const pkg = guidOf(
      await this.#call(
        'POST',
        '/v3/packages',
        { type: 'docker', data: { image: 'registry.example/fuzz:1' }, relationships: { app: { data: { guid: app } } } },
        201,
      ),
    );
    this.#fixture('package', pkg);
    const build = guidOf(await this.#call('POST', '/v3/builds', { package: { guid: pkg } }, 201));
    this.#fixture('build', build);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const state = ((await this.#call('GET', `/v3/builds/${build}`, undefined, 200)).body as { state: string }).state;
      if (state === 'STAGED') break;
      if (state === 'FAILED' || Date.now() > deadline) throw new Error(`fuzz setup: the fixture build ended ${state}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    this.#fixture('droplet', build);
    await this.#call('PATCH', `/v3/apps/${app}/relationships/current_droplet`, { data: { guid: build } }, 200);
    await this.#call('POST', `/v3/apps/${app}/actions/start`, undefined, 200);
    const domains = (await this.#call('GET', '/v3/domains', undefined, 200)).body as { resources: { guid: string }[] };
    const domain = domains.resources[0]!.guid;
    const route = guidOf(
      await this.#call(
        'POST',
        '/v3/routes',
        { host: name('host'), relationships: { space: { data: { guid: space } }, domain: { data: { guid: domain } } } },
        201,
      ),
    );
    this.#fixture('route', route);
    const destinations = (await this.#call('POST', `/v3/routes/${route}/destinations`, { destinations: [{ app: { guid: app } }] }, 200))
      .body as {
      destinations: { guid: string }[];
    };
    for (const destination of destinations.destinations) this.#fixture('destination', destination.guid);
    const instance = guidOf(
      await this.#call(
        'POST',
        '/v3/service_instances',
        { type: 'user-provided', name: name('si'), credentials: { a: 'b' }, relationships: { space: { data: { guid: space } } } },
        201,
      ),
    );
    this.#fixture('serviceInstance', instance);
    const binding = guidOf(
      await this.#call(
        'POST',
        '/v3/service_credential_bindings',
        { type: 'app', relationships: { app: { data: { guid: app } }, service_instance: { data: { guid: instance } } } },
        201,
      ),
    );
    this.#fixture('binding', binding);
    const task = guidOf(await this.#call('POST', `/v3/apps/${app}/tasks`, { command: 'sleep 1000' }, 201));
    this.#fixture('task', task);
    const user = await this.#server.newUser(`fuzz-user-${randomUUID().slice(0, 6)}`);
    const role = guidOf(
      await this.#call(
        'POST',
        '/v3/roles',
        { type: 'organization_user', relationships: { user: { data: { username: user.name } }, organization: { data: { guid: org } } } },
        201,
      ),
    );
    this.#fixture('role', role);
    this.#fixture('user', user.name);
    this.#fixture('user', this.#server.admin.name);
    const processes = (await this.#call('GET', `/v3/apps/${app}/processes`, undefined, 200)).body as { resources: { guid: string }[] };
    for (const process of processes.resources) this.#fixture('process', process.guid);
    // Everything that exists now (the admin's role, the default domain, the root's objects) is kept.
    for (const path of ['/v3/organizations', '/v3/spaces', '/v3/roles', '/v3/domains', '/v3/apps', '/v3/routes', '/v3/service_instances']) {
      const list = (await this.#call('GET', `${path}?per_page=5000`, undefined, 200)).body as { resources: { guid: string }[] };
      for (const resource of list.resources) this.#protected.add(resource.guid);
    }
    this.#fixture('domain', domain);
    this.#fixture('job', `space.apply_manifest~${space}`);
  }

  /** The pool's GUIDs: the fixtures first, then the most recent ones responses named. */
  #pool(pool: PoolName): string[] {
    return [...(this.#fixtures.get(pool) ?? []), ...(this.#pools.get(pool) ?? [])];
  }

  resolve(pool: PoolName, index: number, destructive: boolean): string {
    const candidates = destructive ? (this.#pools.get(pool) ?? []).filter((guid) => !this.#protected.has(guid)) : this.#pool(pool);
    return candidates.length === 0 ? unknownGuid(index) : candidates[index % candidates.length]!;
  }

  /** Replaces GUID references (`@@ref:pool:n@@`, raw or percent-encoded) in text. */
  #substitute(text: string, encode: boolean): string {
    return text
      .replace(poolMarkerPattern, (_match, pool: string, index: string) => this.resolve(pool as PoolName, Number(index), false))
      .replace(/%40%40ref%3A([A-Za-z]+)%3A(\d+)%40%40/g, (_match, pool: string, index: string) => {
        const guid = this.resolve(pool as PoolName, Number(index), false);
        return encode ? encodeURIComponent(guid) : guid;
      });
  }

  /** The request with its GUID references replaced, as bytes on the wire. */
  wire(request: FuzzRequest): WireRequest {
    const destructive = destructiveOperations.has(request.operationId);
    let path = request.template;
    for (const [name, value] of Object.entries(request.pathValues)) {
      const text = 'ref' in value ? encodeURIComponent(this.resolve(value.ref, value.index, destructive)) : value.literal;
      path = path.replace(`{${name}}`, text);
    }
    if (request.query.length > 0) path += `?${request.query.map(([key, value]) => `${key}=${this.#substitute(value, true)}`).join('&')}`;
    const headers: Record<string, string> = { ...request.headers };
    if (request.auth === 'admin') headers['Authorization'] = this.#admin;
    if (request.auth === 'garbage') headers['Authorization'] = garbageAuth(request);
    if (request.contentType !== undefined && request.body !== undefined) headers['Content-Type'] = request.contentType;
    const body = request.body ? this.#bodyBytes(request.body, headers) : undefined;
    return { method: request.method, path, headers, ...(body ? { body } : {}) };
  }

  #bodyBytes(content: RequestBody, headers: Record<string, string>): Buffer {
    switch (content.kind) {
      case 'json':
        return Buffer.from(this.#substitute(JSON.stringify(content.value) ?? 'null', false));
      case 'yaml':
        return Buffer.from(this.#substitute(toYaml(content.value), false));
      case 'text':
        return Buffer.from(content.text);
      case 'bytes':
        return Buffer.from(content.base64, 'base64');
      case 'multipart': {
        const boundary = 'fuzzboundary0123456789';
        headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`;
        return Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${content.field}"; filename="${content.filename}"\r\nContent-Type: application/zip\r\n\r\n`,
          ),
          Buffer.from(content.base64, 'base64'),
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
      }
    }
  }

  /** Remembers the GUIDs a response names, by the kind of resource their `links.self` points at. */
  harvest(response: WireResponse): void {
    const location = response.headers.get('location');
    const job = location ? /\/v3\/jobs\/([^/?]+)$/.exec(location) : null;
    if (job) this.#remember('job', decodeURIComponent(job[1]!));
    if (response.status < 300) this.#visit(response.body, '', 0);
  }

  #visit(node: unknown, key: string, depth: number): void {
    if (depth > 6 || typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const item of node) {
        if (key === 'destinations') this.#rememberDestination(item);
        this.#visit(item, key, depth + 1);
      }
      return;
    }
    this.#rememberSelf(node);
    for (const [name, value] of Object.entries(node)) if (name !== 'links') this.#visit(value, name, depth + 1);
  }

  #rememberDestination(item: unknown): void {
    const guid = (item as { guid?: unknown } | null)?.guid;
    if (typeof guid === 'string') this.#remember('destination', guid);
  }

  /** A resource names itself in `links.self`: `/v3/<resources>/<guid>`. */
  #rememberSelf(node: object): void {
    const self = (node as { links?: { self?: { href?: unknown } } }).links?.self?.href;
    const match = typeof self === 'string' ? /\/v3\/([a-z_]+)\/([^/?]+)$/.exec(self) : null;
    const pool = match ? selfPools[match[1]!] : undefined;
    if (!match || !pool) return;
    this.#remember(pool, decodeURIComponent(match[2]!));
    if (pool === 'app') this.#remember('deployment', decodeURIComponent(match[2]!));
  }

  #remember(pool: PoolName, guid: string): void {
    if (this.#fixtures.get(pool)?.includes(guid)) return;
    const list = this.#pools.get(pool) ?? [];
    const at = list.indexOf(guid);
    if (at >= 0) list.splice(at, 1);
    list.push(guid);
    if (list.length > poolSize) list.shift();
    this.#pools.set(pool, list);
  }

  /**
   * A digest of the store once the reconcilers have stopped changing it (two equal digests in a row),
   * or the last one after a few seconds of changes.
   */
  digestMs = 0;

  async settledDigest(): Promise<StoreDigest> {
    const started = performance.now();
    try {
      return await this.#settledDigest();
    } finally {
      this.digestMs += performance.now() - started;
    }
  }

  /** The store's digest now. */
  async digest(): Promise<StoreDigest> {
    const started = performance.now();
    try {
      return await storeDigest(this.#server.store);
    } finally {
      this.digestMs += performance.now() - started;
    }
  }

  async #settledDigest(): Promise<StoreDigest> {
    const gap = this.#server.backend === 'kubernetes' ? 150 : 40;
    let last = await storeDigest(this.#server.store);
    for (let attempt = 0; attempt < 40; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, gap));
      const next = await storeDigest(this.#server.store);
      if (sameDigest(last, next)) return next;
      last = next;
    }
    return last;
  }

  /** Keeps the store bounded: deletes what the fuzzer created beyond a few of each, and checks the fixtures are still there. */
  async maintain(): Promise<void> {
    const session = this.#server.store.privileged();
    const prune = async (
      kind: 'CFOrg' | 'CFSpace' | 'CFApp' | 'CFRoute' | 'CFDomain' | 'CFServiceInstance',
      path: string,
      keep: number,
    ) => {
      const items = (await session.list(kind)).items.filter(
        (item) => !item.metadata.deletionTimestamp && !this.#protected.has(item.metadata.name),
      );
      for (const item of items.slice(0, Math.max(0, items.length - keep))) await this.#call('DELETE', `${path}/${item.metadata.name}`);
    };
    await prune('CFOrg', '/v3/organizations', 4);
    await prune('CFSpace', '/v3/spaces', 4);
    await prune('CFApp', '/v3/apps', 8);
    await prune('CFRoute', '/v3/routes', 8);
    await prune('CFDomain', '/v3/domains', 4);
    await prune('CFServiceInstance', '/v3/service_instances', 8);
  }
}

const selfPools: Record<string, PoolName> = {
  organizations: 'org',
  spaces: 'space',
  apps: 'app',
  packages: 'package',
  builds: 'build',
  droplets: 'droplet',
  processes: 'process',
  tasks: 'task',
  routes: 'route',
  domains: 'domain',
  service_instances: 'serviceInstance',
  service_credential_bindings: 'binding',
  roles: 'role',
  users: 'user',
  deployments: 'deployment',
};

/** Authorization values no user has, chosen by the request's content so a replay sends the same one. */
function garbageAuth(request: FuzzRequest): string {
  const values = [
    'Bearer garbage',
    'Bearer ',
    'bearer',
    'Basic YWRtaW46YWRtaW4=',
    'ClientCert bm90IGEgY2VydGlmaWNhdGU=',
    'ClientCert !!!not-base64!!!',
    `ClientCert ${Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64')}`,
    `Bearer ${'x'.repeat(3000)}`,
    'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.',
    'Negotiate abc',
  ];
  const hash = createHash('sha1').update(JSON.stringify(request)).digest();
  return values[hash[0]! % values.length]!;
}
