import { randomUUID } from 'node:crypto';
import { newRoleBinding, roleBindingName, subjectOfUser } from '../../../src/domain/roles/role-binding.ts';
import type { CfRoleName } from '../../../src/domain/roles/cf-roles.ts';
import { isStoreError } from '../../../src/store/errors.ts';
import { authHeaders, type TestResponse, type TestServer, type UserCredentials } from '../../support/test-server.ts';
import { uniqueName } from '../../store/fixture.ts';
import { rowRoles, rows, type Label, type OrgRoleType, type RowName, type SpaceRoleType } from './matrix.ts';

export type Headers = Record<string, string>;

/** What a row's cells act on besides the shared world: targets of its own, so destructive cells are independent. */
export type RowWorld = {
  row: RowName;
  /** The row name as it may appear in DNS names and user names. */
  slug: string;
  user: UserCredentials;
  headers: Headers;
  /** An org where the row holds its org role (space rows: organization_user). */
  ownOrg: string;
  /** An org where the row holds no role. */
  foreignOrg: string;
  /** A space of A where the row holds its space role (org rows: none of their own). */
  ownSpace: string;
  /** A space of B. */
  foreignSpace: string;
  /** A domain of its own, for the delete-domain cell. */
  domain: string;
  /** Role GUIDs the row's delete-role cells remove: organization_user in A and in B, space_developer in A1. */
  victims: { orgA: string; orgB: string; spaceA1: string };
  /** Users holding organization_user in A (resp. B), to be given a space role in A1 (resp. B1). */
  spaceRoleTargets: { A1: string; B1: string };
  /** Apps of its own for the delete-app cells: one in A1, one in B1. */
  apps: { A1: string; B1: string };
  /** Objects of its own on the lifecycle apps, for the cells that use them up (an upload, a cancel). */
  lifecycle: { A1: RowLifecycle; B1: RowLifecycle };
};

/**
 * A bits package awaiting its upload, and two running tasks (one per cancel path), in one space; a
 * user-provided service instance and a binding of another to the docker app (for the delete cells), and
 * an instance not bound yet (for the create-binding cell).
 */
export type RowLifecycle = {
  uploadPackage: string;
  tasks: { cancel: string; cancelDeprecated: string };
  services: { instance: string; binding: string; bindable: string };
};

/**
 * What runs in one space (A1 or B1), made by the harness admin through the API: a docker app with a
 * package, a STAGED build (its droplet, the app's current one), the web process, a running task and a
 * route to the app; and a buildpack app whose bits packages the rows upload to.
 */
export type Lifecycle = {
  app: string;
  bitsApp: string;
  package: string;
  droplet: string;
  process: string;
  task: string;
  route: string;
  /** A user-provided service instance with credentials, and its binding to the docker app. */
  serviceInstance: string;
  binding: string;
};

export type LifecycleSpace = 'A1' | 'B1';

export type World = {
  server: TestServer;
  org: { A: string; B: string };
  space: { A1: string; A2: string; B1: string };
  /** An app in each space, made by the harness admin. */
  app: { A1: string; A2: string; B1: string };
  /** Org roles of the bystanders in A and in B. */
  role: { inA: string; inB: string };
  /** The bystanders' user GUIDs (their names): one with roles in A and A2, one with roles in B and B1. */
  bystander: { A: string; B: string };
  /** An org whose deletion (by the harness admin) is held open by a finalizer. */
  heldOrg: string;
  /** The GUID of the default domain. */
  defaultDomain: string;
  /** What runs in A1 and in B1. */
  lifecycle: { A1: Lifecycle; B1: Lifecycle };
  /** Labels of the labelled resources, by org/space name, role target GUID, user GUID and domain name. */
  labels: {
    orgs: ReadonlyMap<string, Label>;
    spaces: ReadonlyMap<string, Label>;
    roleTargets: ReadonlyMap<string, Label>;
    users: ReadonlyMap<string, Label>;
    domains: ReadonlyMap<string, Label>;
    /** The lifecycle apps (docker and bits) by GUID, labelled by their space: what packages, builds, tasks… belong to. */
    apps: ReadonlyMap<string, Label>;
  };
  rows: Record<RowName, RowWorld>;
};

export type Request = { method?: string; path: string; body?: unknown };

/** Sends a request as a user (through the harness, so every response is checked against the OpenAPI document). */
export function send(server: TestServer, headers: Headers, request: Request): Promise<TestResponse> {
  const json = request.body === undefined ? {} : { body: JSON.stringify(request.body) };
  const contentType = request.body === undefined ? {} : { 'Content-Type': 'application/json' };
  return server.request(request.path, { method: request.method ?? 'GET', headers: { ...headers, ...contentType }, ...json });
}

export const orgNames = { A: 'org-a', B: 'org-b' } as const;

/** Labels the default domain carries from the start, for a cell whose write would change nothing. */
export const keptLabels = { metadata: { labels: { 'authz-matrix-kept': 'yes' } } };
export const spaceNames = { A1: 'space-a1', A2: 'space-a2', B1: 'space-b1' } as const;
export const appNames = { A1: 'app-a1', A2: 'app-a2', B1: 'app-b1' } as const;

const isOrgRole = (type: OrgRoleType | SpaceRoleType): type is OrgRoleType => type.startsWith('organization_');

/** The body of `POST /v3/roles` giving `username` a role in an org or space. */
export function roleBody(type: OrgRoleType | SpaceRoleType, username: string, target: string): unknown {
  const relationship = isOrgRole(type) ? 'organization' : 'space';
  return { type, relationships: { user: { data: { username } }, [relationship]: { data: { guid: target } } } };
}

export function spaceBody(name: string, orgGuid: string): unknown {
  return { name, relationships: { organization: { data: { guid: orgGuid } } } };
}

export function appBody(name: string, spaceGuid: string): unknown {
  return { name, relationships: { space: { data: { guid: spaceGuid } } } };
}

/** World building as the harness admin; any unexpected answer stops the suite with the response. */
class Setup {
  readonly server: TestServer;
  readonly #headers: Headers;

  constructor(server: TestServer) {
    this.server = server;
    this.#headers = authHeaders.forUser(server.admin);
  }

  async send(request: Request, status: number): Promise<TestResponse> {
    const response = await send(this.server, this.#headers, request);
    if (response.status !== status) {
      throw new Error(
        `world setup: ${request.method ?? 'GET'} ${request.path} ${JSON.stringify(request.body)} → ${response.status} ${response.text}`,
      );
    }
    return response;
  }

  async create(path: string, body: unknown): Promise<string> {
    return ((await this.send({ method: 'POST', path, body }, 201)).body as { guid: string }).guid;
  }

  org(name: string): Promise<string> {
    return this.create('/v3/organizations', { name });
  }

  space(name: string, orgGuid: string): Promise<string> {
    return this.create('/v3/spaces', spaceBody(name, orgGuid));
  }

  app(name: string, spaceGuid: string): Promise<string> {
    return this.create('/v3/apps', appBody(name, spaceGuid));
  }

  grant(type: OrgRoleType | SpaceRoleType, username: string, target: string): Promise<string> {
    return this.create('/v3/roles', roleBody(type, username, target));
  }

  /** A user that exists only as a name in role bindings, holding an org role and then, optionally, a space role. */
  async bystander(org: { type: OrgRoleType; guid: string }, space?: { type: SpaceRoleType; guid: string }): Promise<BystanderRoles> {
    const name = uniqueName('authz-bystander');
    const orgRole = await this.grant(org.type, name, org.guid);
    const spaceRole = space === undefined ? undefined : await this.grant(space.type, name, space.guid);
    return { name, orgRole, ...(spaceRole === undefined ? {} : { spaceRole }) };
  }
}

type BystanderRoles = { name: string; orgRole: string; spaceRole?: string };

/** A task that runs until it is cancelled (the app's SCRIPTED_TASK is `hang`). */
const taskBody = { command: 'authz-matrix-task' };

/** The lifecycle objects of one space and the row objects on them, made as the harness admin. */
class LifecycleSetup {
  readonly #setup: Setup;

  constructor(setup: Setup) {
    this.#setup = setup;
  }

  /** GETs until the answer is 200 and `ready` holds (a controller's work the world needs). */
  async poll(path: string, ready: (body: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const response = await send(this.#setup.server, authHeaders.forUser(this.#setup.server.admin), { path });
      const body = response.body as Record<string, unknown>;
      if (response.status === 200 && ready(body)) return body;
      if (Date.now() > deadline) throw new Error(`world setup: no ${what} at ${path}: ${response.status} ${response.text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async space(spaceGuid: string, name: string, domainGuid: string): Promise<Lifecycle> {
    const setup = this.#setup;
    const [app, bitsApp] = await Promise.all([
      setup.create('/v3/apps', {
        ...(appBody(`${name}-docker`, spaceGuid) as object),
        lifecycle: { type: 'docker', data: {} },
        environment_variables: { SCRIPTED_TASK: 'hang' },
      }),
      setup.app(`${name}-bits`, spaceGuid),
    ]);
    const packageGuid = await setup.create('/v3/packages', {
      type: 'docker',
      relationships: { app: { data: { guid: app } } },
      data: { image: 'registry.example.test/authz/app:1.0' },
    });
    const droplet = await setup.create('/v3/builds', { package: { guid: packageGuid } });
    await this.poll(`/v3/builds/${droplet}`, (build) => build['state'] === 'STAGED', 'STAGED build');
    await setup.send({ method: 'PATCH', path: `/v3/apps/${app}/relationships/current_droplet`, body: { data: { guid: droplet } } }, 200);
    const web = await this.poll(`/v3/apps/${app}/processes/web`, () => true, 'web process');
    const [task, route, serviceInstance] = await Promise.all([
      setup.create(`/v3/apps/${app}/tasks`, taskBody),
      this.route(spaceGuid, name, domainGuid, app),
      this.serviceInstance(spaceGuid, `${name}-service`),
    ]);
    const binding = await this.bind(serviceInstance, app);
    return { app, bitsApp, package: packageGuid, droplet, process: web['guid'] as string, task, route, serviceInstance, binding };
  }

  serviceInstance(spaceGuid: string, name: string): Promise<string> {
    return this.#setup.create('/v3/service_instances', {
      type: 'user-provided',
      name,
      relationships: { space: { data: { guid: spaceGuid } } },
      credentials: { password: 'authz-matrix' },
    });
  }

  bind(instanceGuid: string, appGuid: string): Promise<string> {
    return this.#setup.create('/v3/service_credential_bindings', {
      type: 'app',
      relationships: { service_instance: { data: { guid: instanceGuid } }, app: { data: { guid: appGuid } } },
    });
  }

  /** A route to the app (route writes are not built yet: written as the server, as Korifi stores one). */
  async route(spaceGuid: string, host: string, domainGuid: string, appGuid: string): Promise<string> {
    const guid = randomUUID();
    await this.#setup.server.store.privileged().create({
      kind: 'CFRoute',
      metadata: { name: guid, namespace: spaceGuid },
      spec: {
        host,
        protocol: 'http',
        domainRef: { name: domainGuid, namespace: this.#setup.server.config.rootNamespace },
        destinations: [{ guid: randomUUID(), appRef: { name: appGuid }, processType: 'web', protocol: 'http1' }],
      },
    });
    return guid;
  }

  async row(lifecycle: Lifecycle, spaceGuid: string): Promise<RowLifecycle> {
    const setup = this.#setup;
    const [uploadPackage, cancel, cancelDeprecated, instance, bound, bindable] = await Promise.all([
      setup.create('/v3/packages', { type: 'bits', relationships: { app: { data: { guid: lifecycle.bitsApp } } } }),
      setup.create(`/v3/apps/${lifecycle.app}/tasks`, taskBody),
      setup.create(`/v3/apps/${lifecycle.app}/tasks`, taskBody),
      this.serviceInstance(spaceGuid, uniqueName('authz-own-service')),
      this.serviceInstance(spaceGuid, uniqueName('authz-bound-service')),
      this.serviceInstance(spaceGuid, uniqueName('authz-bindable-service')),
    ]);
    const binding = await this.bind(bound, lifecycle.app);
    return { uploadPackage, tasks: { cancel, cancelDeprecated }, services: { instance, binding, bindable } };
  }
}

type Shared = { A: string; B: string; A1: string; B1: string };

/** Builds the world of the matrix on a freshly started server. */
export async function buildWorld(server: TestServer): Promise<World> {
  const setup = new Setup(server);
  const lifecycleSetup = new LifecycleSetup(setup);
  const domains = await setup.send({ path: `/v3/domains?names=${server.config.defaultDomain}` }, 200);
  const [defaultDomain] = (domains.body as { resources: { guid: string }[] }).resources;
  if (defaultDomain === undefined) throw new Error('world setup: no default domain');
  await setup.send({ method: 'PATCH', path: `/v3/domains/${defaultDomain.guid}`, body: keptLabels }, 200);
  const [A, B, heldOrg] = await Promise.all([setup.org(orgNames.A), setup.org(orgNames.B), setup.org('org-held')]);
  const [A1, A2, B1] = await Promise.all([setup.space(spaceNames.A1, A), setup.space(spaceNames.A2, A), setup.space(spaceNames.B1, B)]);
  const shared = { A, B, A1, B1 };
  const buildRows = async () => {
    // Users one at a time: the embedded identity store writes one file per added user.
    const users: UserCredentials[] = [];
    for (const row of rows) users.push(await server.newUser(uniqueName(`authz-${row.replaceAll('_', '-')}`)));
    return Promise.all(rows.map((row, index) => buildRow(setup, row, users[index]!, shared)));
  };
  // The lifecycle apps are staged while the rows are made.
  const [[appA1, appA2, appB1], rowsWithoutLifecycle, lifecycleA1, lifecycleB1] = await Promise.all([
    Promise.all([setup.app(appNames.A1, A1), setup.app(appNames.A2, A2), setup.app(appNames.B1, B1)]),
    buildRows(),
    lifecycleSetup.space(A1, 'lifecycle-a1', defaultDomain.guid),
    lifecycleSetup.space(B1, 'lifecycle-b1', defaultDomain.guid),
  ]);
  const lifecycle = { A1: lifecycleA1, B1: lifecycleB1 };
  const [bystanderA, bystanderB, rowWorlds] = await Promise.all([
    setup.bystander({ type: 'organization_user', guid: A }, { type: 'space_auditor', guid: A2 }),
    setup.bystander({ type: 'organization_user', guid: B }, { type: 'space_developer', guid: B1 }),
    Promise.all(
      rowsWithoutLifecycle.map(async (world): Promise<RowWorld> => {
        const [ownA1, ownB1] = await Promise.all([lifecycleSetup.row(lifecycle.A1, A1), lifecycleSetup.row(lifecycle.B1, B1)]);
        return { ...world, lifecycle: { A1: ownA1, B1: ownB1 } };
      }),
    ),
  ]);
  const byRow = Object.fromEntries(rowWorlds.map((world) => [world.row, world])) as Record<RowName, RowWorld>;
  await waitForPropagation(server, byRow, { orgs: [A, B], spaces: [A1, A2, B1] });
  await holdDeletion(setup, heldOrg);
  return {
    server,
    org: { A, B },
    space: { A1, A2, B1 },
    app: { A1: appA1, A2: appA2, B1: appB1 },
    role: { inA: bystanderA.orgRole, inB: bystanderB.orgRole },
    bystander: { A: bystanderA.name, B: bystanderB.name },
    heldOrg,
    defaultDomain: defaultDomain.guid,
    lifecycle,
    labels: {
      orgs: new Map([
        [orgNames.A, 'A'],
        [orgNames.B, 'B'],
      ]),
      spaces: new Map([
        [spaceNames.A1, 'A1'],
        [spaceNames.A2, 'A2'],
        [spaceNames.B1, 'B1'],
      ]),
      roleTargets: new Map([
        [A, 'A'],
        [B, 'B'],
        [A1, 'A1'],
        [A2, 'A2'],
        [B1, 'B1'],
      ]),
      users: new Map([
        [bystanderA.name, 'bystander-A'],
        [bystanderB.name, 'bystander-B'],
      ]),
      domains: new Map([[server.config.defaultDomain, 'default']]),
      apps: new Map([
        [lifecycleA1.app, 'A1'],
        [lifecycleA1.bitsApp, 'A1'],
        [lifecycleB1.app, 'B1'],
        [lifecycleB1.bitsApp, 'B1'],
      ]),
    },
    rows: byRow,
  };
}

/** A row's world but its lifecycle objects, which wait for the lifecycle apps' droplets (buildWorld). */
async function buildRow(setup: Setup, row: RowName, user: UserCredentials, shared: Shared): Promise<Omit<RowWorld, 'lifecycle'>> {
  const slug = row.replaceAll('_', '-');
  const [ownOrg, foreignOrg, ownSpace, foreignSpace, domain, appA1, appB1] = await Promise.all([
    setup.org(`${slug}-own-org`),
    setup.org(`${slug}-foreign-org`),
    setup.space(`${slug}-own-space`, shared.A),
    setup.space(`${slug}-foreign-space`, shared.B),
    setup.create('/v3/domains', { name: `${slug}.authz.example.test` }),
    setup.app(`${slug}-app-a1`, shared.A1),
    setup.app(`${slug}-app-b1`, shared.B1),
  ]);
  await grantRowRoles(setup, row, user.name, { orgs: [shared.A, ownOrg], spaces: [shared.A1, ownSpace] });
  const [victimA, victimB, victimA1, targetA1, targetB1] = await Promise.all([
    setup.bystander({ type: 'organization_user', guid: shared.A }),
    setup.bystander({ type: 'organization_user', guid: shared.B }),
    setup.bystander({ type: 'organization_user', guid: shared.A }, { type: 'space_developer', guid: shared.A1 }),
    setup.bystander({ type: 'organization_user', guid: shared.A }),
    setup.bystander({ type: 'organization_user', guid: shared.B }),
  ]);
  return {
    row,
    slug,
    user,
    headers: authHeaders.forUser(user),
    ownOrg,
    foreignOrg,
    ownSpace,
    foreignSpace,
    domain,
    victims: { orgA: victimA.orgRole, orgB: victimB.orgRole, spaceA1: victimA1.spaceRole ?? '' },
    spaceRoleTargets: { A1: targetA1.name, B1: targetB1.name },
    apps: { A1: appA1, B1: appB1 },
  };
}

/** Gives the row's user its roles in the given orgs and spaces; the admin row gets CF admin from the store, as an operator would. */
async function grantRowRoles(setup: Setup, row: RowName, username: string, targets: { orgs: string[]; spaces: string[] }): Promise<void> {
  const roles = rowRoles[row];
  if (roles.admin) {
    await setup.server.store.privileged().create(newRoleBinding('admin', username, setup.server.config.rootNamespace));
    return;
  }
  const { org, space } = roles;
  if (org !== undefined) await Promise.all(targets.orgs.map((guid) => setup.grant(org, username, guid)));
  if (space !== undefined) await Promise.all(targets.spaces.map((guid) => setup.grant(space, username, guid)));
}

type Namespaces = { orgs: string[]; spaces: string[] };

/**
 * Waits until the propagated bindings the matrix relies on are in place: the admin row's in every org
 * and space namespace, the org manager's in every space of A.
 */
async function waitForPropagation(server: TestServer, byRow: Record<RowName, RowWorld>, shared: Namespaces): Promise<void> {
  const all = Object.values(byRow);
  const orgs = [...shared.orgs, ...all.flatMap((world) => [world.ownOrg, world.foreignOrg])];
  const spaces = [...shared.spaces, ...all.flatMap((world) => [world.ownSpace, world.foreignSpace])];
  const spacesOfA = [shared.spaces[0] ?? '', shared.spaces[1] ?? '', ...all.map((world) => world.ownSpace)];
  const copies = [
    ...[...orgs, ...spaces].map((namespace) => ({ namespace, role: 'admin' as const, user: byRow.admin.user.name })),
    ...spacesOfA.map((namespace) => ({ namespace, role: 'organization_manager' as const, user: byRow.org_manager.user.name })),
  ];
  await Promise.all(copies.map((copy) => waitForBinding(server, copy)));
}

async function waitForBinding(server: TestServer, copy: { namespace: string; role: CfRoleName; user: string }): Promise<void> {
  const ref = { kind: 'RoleBinding' as const, namespace: copy.namespace, name: roleBindingName(copy.role, subjectOfUser(copy.user)) };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await server.store.privileged().get(ref);
      return;
    } catch (error) {
      if (!isStoreError(error, 'NotFound') || Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const holdFinalizer = 'authz-matrix.test.cloudfoundry.org/hold';

const orgRef = (server: TestServer, guid: string) => ({ kind: 'CFOrg' as const, namespace: server.config.rootNamespace, name: guid });

/** Sets the finalizers of an org (conditionally on its version, again on a conflict with the reconcilers). */
async function setFinalizers(server: TestServer, guid: string, change: (finalizers: string[]) => string[]): Promise<void> {
  const session = server.store.privileged();
  for (let attempt = 0; ; attempt++) {
    const org = await session.get(orgRef(server, guid));
    const version = org.metadata.resourceVersion;
    const preconditions = version === undefined ? {} : { resourceVersion: version };
    try {
      await session.patch(orgRef(server, guid), { metadata: { finalizers: change(org.metadata.finalizers ?? []) } }, preconditions);
      return;
    } catch (error) {
      if (!isStoreError(error, 'Conflict') || attempt >= 20) throw error;
    }
  }
}

/** Deletes the org as the harness admin while a finalizer of ours keeps it (and its deletion job) in progress. */
async function holdDeletion(setup: Setup, guid: string): Promise<void> {
  await setFinalizers(setup.server, guid, (finalizers) => [...finalizers, holdFinalizer]);
  await setup.send({ method: 'DELETE', path: `/v3/organizations/${guid}` }, 202);
  const org = await setup.server.store.privileged().get(orgRef(setup.server, guid));
  if (org.metadata.deletionTimestamp === undefined) throw new Error('world setup: the held org is not being deleted');
}

/** Lets the held org go. */
export async function releaseHeldOrg(world: World): Promise<void> {
  await setFinalizers(world.server, world.heldOrg, (finalizers) => finalizers.filter((name) => name !== holdFinalizer));
}
