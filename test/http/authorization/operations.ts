import { randomUUID } from 'node:crypto';
import type { TestResponse } from '../../support/test-server.ts';
import { makeZip, multipartBody } from '../../unit/bits/zip-fixtures.ts';
import type { Label, OperationName } from './matrix.ts';
import {
  appBody,
  appNames,
  orgNames,
  roleBody,
  send,
  spaceBody,
  spaceNames,
  keptLabels,
  type Lifecycle,
  type LifecycleSpace,
  type Request,
  type RowLifecycle,
  type RowWorld,
  type World,
} from './world.ts';

/** A cell about to run: the world and the row (the caller) it runs for. */
export type Cell = { world: World; row: RowWorld };

/** What a cell observed: the response and, for lists, the labels of the labelled resources in it. */
export type Outcome = { response: TestResponse; labels?: Label[] };

type Run = (cell: Cell) => Promise<Outcome>;

const as = async (cell: Cell, request: Request): Promise<Outcome> => ({
  response: await send(cell.world.server, cell.row.headers, request),
});

const get =
  (path: (world: World, row: RowWorld) => string): Run =>
  (cell) =>
    as(cell, { path: path(cell.world, cell.row) });
const post =
  (path: string, body: (world: World, row: RowWorld) => unknown): Run =>
  (cell) =>
    as(cell, { method: 'POST', path, body: body(cell.world, cell.row) });
const patch =
  (path: (world: World) => string, body: unknown): Run =>
  (cell) =>
    as(cell, { method: 'PATCH', path: path(cell.world), body });
const remove =
  (path: (world: World, row: RowWorld) => string): Run =>
  (cell) =>
    as(cell, { method: 'DELETE', path: path(cell.world, cell.row) });

type Resource = Record<string, unknown>;

/** A whole list (one page of the largest size), reduced to the labels of the labelled resources in it. */
const list = (path: string, labelOf: (world: World, resource: Resource) => Label | undefined): Run => listAt(() => path, labelOf);

const listAt =
  (path: (world: World, row: RowWorld) => string, labelOf: (world: World, resource: Resource) => Label | undefined): Run =>
  async (cell) => {
    const { response } = await as(cell, { path: `${path(cell.world, cell.row)}?per_page=5000` });
    const resources = response.status === 200 ? (response.body as { resources: Resource[] }).resources : [];
    const labels = resources.map((resource) => labelOf(cell.world, resource)).filter((label) => label !== undefined);
    return { response, labels: [...new Set(labels)].sort() };
  };

type IncludedKey = 'organizations' | 'spaces' | 'users' | 'domains';

/** The label of an included resource: orgs, spaces and domains by name, users by GUID. */
const includedLabel = (world: World, key: IncludedKey, resource: Resource): Label | undefined =>
  key === 'users'
    ? world.labels.users.get(resource['guid'] as string)
    : world.labels[key === 'organizations' ? 'orgs' : key].get(resource['name'] as string);

/** What `include=` added to a response (`included.<key>` for each key), reduced to the labels of the labelled resources in it. */
const included =
  (path: (world: World, row: RowWorld) => string): Run =>
  async (cell) => {
    const { response } = await as(cell, { path: path(cell.world, cell.row) });
    const body = response.status === 200 ? (response.body as { included?: Partial<Record<IncludedKey, Resource[]>> }) : {};
    const labels = (Object.entries(body.included ?? {}) as [IncludedKey, Resource[]][]).flatMap(([key, resources]) =>
      resources.map((resource) => includedLabel(cell.world, key, resource)).filter((label) => label !== undefined),
    );
    return { response, labels: [...new Set(labels)].sort() };
  };

const unique = (row: RowWorld, what: string) => `${row.slug}-${what}-${randomUUID().slice(0, 8)}`;
const touch = { metadata: { labels: { 'authz-matrix': 'touched' } } };
const touchEnvironment = { var: { AUTHZ_MATRIX: 'touched' } };

type RoleRelationships = { organization?: { data: { guid: string } | null }; space?: { data: { guid: string } | null } };
const roleTarget = (role: Resource): string => {
  const relationships = role['relationships'] as RoleRelationships;
  return relationships.organization?.data?.guid ?? relationships.space?.data?.guid ?? '';
};

const appSpace = (app: Resource): string => (app['relationships'] as { space: { data: { guid: string } } }).space.data.guid;

/** The label of what belongs to a lifecycle app (packages, builds, droplets, processes, tasks, deployments): its space. */
const byApp = (world: World, resource: Resource): Label | undefined =>
  world.labels.apps.get((resource['relationships'] as { app: { data: { guid: string } } }).app.data.guid);
const routeSpace = (world: World, route: Resource): Label | undefined =>
  world.labels.roleTargets.get((route['relationships'] as { space: { data: { guid: string } } }).space.data.guid);
/** Every buildpack and stack comes from the one builder. */
const builder = (): Label => 'builder';

const life =
  (space: LifecycleSpace) =>
  (world: World): Lifecycle =>
    world.lifecycle[space];
const own =
  (space: LifecycleSpace) =>
  (row: RowWorld): RowLifecycle =>
    row.lifecycle[space];

/** A zip of one file, as the cf CLI uploads it. */
const tinyZip = makeZip([{ path: 'index.txt', content: 'authorization matrix\n' }]);

/** `POST /v3/packages/{guid}/upload` of the tiny zip to the row's own bits package in the space. */
const upload =
  (space: LifecycleSpace): Run =>
  async (cell) => {
    const { headers, chunks } = multipartBody({ resources: '[]', bits: await tinyZip });
    const response = await cell.world.server.request(`/v3/packages/${own(space)(cell.row).uploadPackage}/upload`, {
      method: 'POST',
      headers: { ...cell.row.headers, ...headers },
      body: Buffer.concat(chunks),
    });
    return { response };
  };

/** A route create request body, as the cf CLI sends it. */
const routeBody = (host: string, spaceGuid: string, domainGuid: string) => ({
  host,
  relationships: { space: { data: { guid: spaceGuid } }, domain: { data: { guid: domainGuid } } },
});

/** A route of the cell's own in the space, mapped to the lifecycle app (so no unmapped-route deletion takes it), written as the server. */
async function mappedRoute(world: World, space: LifecycleSpace): Promise<string> {
  const guid = randomUUID();
  await world.server.store.privileged().create({
    kind: 'CFRoute',
    metadata: { name: guid, namespace: world.space[space] },
    spec: {
      host: `authz-${guid.slice(0, 8)}`,
      protocol: 'http',
      domainRef: { name: world.defaultDomain, namespace: world.server.config.rootNamespace },
      destinations: [{ guid: randomUUID(), appRef: { name: world.lifecycle[space].app }, processType: 'web' }],
    },
  });
  return guid;
}

/** A manifest of one new app of the row's own, sent to the space as YAML, as `cf push` sends it. */
const manifestRequest =
  (action: 'actions/apply_manifest' | 'manifest_diff', space: LifecycleSpace): Run =>
  async (cell) => ({
    response: await cell.world.server.request(`/v3/spaces/${cell.world.space[space]}/${action}`, {
      method: 'POST',
      headers: { ...cell.row.headers, 'Content-Type': 'application/x-yaml' },
      body: `applications:\n- name: ${unique(cell.row, 'manifest-app')}\n`,
    }),
  });

/** The lifecycle operations on the objects of one space, each named `<what> <space>`: the same cells for A1 and for B1. */
const lifecycleOperations = <S extends LifecycleSpace>(space: S) => {
  const of = life(space);
  const post =
    (path: (world: World) => string, body: (world: World) => unknown): Run =>
    (cell) =>
      as(cell, { method: 'POST', path: path(cell.world), body: body(cell.world) });
  const app = (world: World) => `/v3/apps/${of(world).app}`;
  const process = (world: World) => `/v3/processes/${of(world).process}`;
  const cells = {
    'get package in': get((world) => `/v3/packages/${of(world).package}`),
    'create package for app': post(
      () => '/v3/packages',
      (world) => ({
        type: 'docker',
        relationships: { app: { data: { guid: of(world).app } } },
        data: { image: 'registry.example.test/authz/app:2.0' },
      }),
    ),
    'update package in': patch((world) => `/v3/packages/${of(world).package}`, touch),
    'upload bits to own package in': upload(space),
    'list packages of app': listAt((world) => `${app(world)}/packages`, byApp),

    'get build in': get((world) => `/v3/builds/${of(world).droplet}`),
    'create build of package in': post(
      () => '/v3/builds',
      (world) => ({ package: { guid: of(world).package } }),
    ),
    'update build in': patch((world) => `/v3/builds/${of(world).droplet}`, touch),

    'get droplet in': get((world) => `/v3/droplets/${of(world).droplet}`),
    'update droplet in': patch((world) => `/v3/droplets/${of(world).droplet}`, touch),
    'list droplets of app': listAt((world) => `${app(world)}/droplets`, byApp),
    'list droplets of package in': listAt((world) => `/v3/packages/${of(world).package}/droplets`, byApp),
    'get current droplet of app': get((world) => `${app(world)}/droplets/current`),
    'get current droplet relationship of app': get((world) => `${app(world)}/relationships/current_droplet`),
    'set current droplet of app': (cell) =>
      as(cell, {
        method: 'PATCH',
        path: `${app(cell.world)}/relationships/current_droplet`,
        body: { data: { guid: of(cell.world).droplet } },
      }),

    'get process in': get((world) => process(world)),
    'update process in': patch(process, touch),
    'scale process in': post(
      (world) => `${process(world)}/actions/scale`,
      () => ({ instances: 1 }),
    ),
    'get stats of process in': get((world) => `${process(world)}/stats`),
    'restart instance 0 of process in': remove((world) => `${process(world)}/instances/0`),
    'list sidecars of process in': get((world) => `${process(world)}/sidecars`),
    'list processes of app': listAt((world) => `${app(world)}/processes`, byApp),
    'get web process of app': get((world) => `${app(world)}/processes/web`),
    'get stats of web process of app': get((world) => `${app(world)}/processes/web/stats`),
    'scale web process of app': post(
      (world) => `${app(world)}/processes/web/actions/scale`,
      () => ({ instances: 1 }),
    ),
    'restart instance 0 of web process of app': remove((world) => `${app(world)}/processes/web/instances/0`),
    'list sidecars of app': get((world) => `${app(world)}/sidecars`),

    'stop app': post(
      (world) => `${app(world)}/actions/stop`,
      () => undefined,
    ),
    'start app': post(
      (world) => `${app(world)}/actions/start`,
      () => undefined,
    ),
    'restart app': post(
      (world) => `${app(world)}/actions/restart`,
      () => undefined,
    ),
    'get env of app': get((world) => `${app(world)}/env`),
    'list features of app': get((world) => `${app(world)}/features`),
    'get feature ssh of app': get((world) => `${app(world)}/features/ssh`),
    'disable feature ssh of app': patch((world) => `${app(world)}/features/ssh`, { enabled: false }),
    'get ssh_enabled of app': get((world) => `${app(world)}/ssh_enabled`),

    'get task in': get((world) => `/v3/tasks/${of(world).task}`),
    'list tasks of app': listAt((world) => `${app(world)}/tasks`, byApp),
    'create task for app': post(
      (world) => `${app(world)}/tasks`,
      () => ({ command: 'authz-matrix-task' }),
    ),
    'update task in': patch((world) => `/v3/tasks/${of(world).task}`, touch),
    'cancel own task in': (cell) => as(cell, { method: 'POST', path: `/v3/tasks/${own(space)(cell.row).tasks.cancel}/actions/cancel` }),
    'cancel own task (deprecated path) in': (cell) =>
      as(cell, { method: 'PUT', path: `/v3/tasks/${own(space)(cell.row).tasks.cancelDeprecated}/cancel` }),

    'get deployment of app': get((world) => `/v3/deployments/${of(world).app}`),
    'create deployment of app': post(
      () => '/v3/deployments',
      (world) => ({ relationships: { app: { data: { guid: of(world).app } } } }),
    ),

    'get route in': get((world) => `/v3/routes/${of(world).route}`),
    'list routes of app': listAt((world) => `${app(world)}/routes`, routeSpace),
    'list destinations of route in': get((world) => `/v3/routes/${of(world).route}/destinations`),
    'create route in space': post(
      () => '/v3/routes',
      (world) => routeBody(`authz-${randomUUID().slice(0, 8)}`, world.space[space], world.defaultDomain),
    ),
    'update route in': patch((world) => `/v3/routes/${of(world).route}`, touch),
    'map app to route in': post(
      (world) => `/v3/routes/${of(world).route}/destinations`,
      (world) => ({ destinations: [{ app: { guid: of(world).app } }] }),
    ),
    'unmap an unknown destination of route in': remove((world) => `/v3/routes/${of(world).route}/destinations/${randomUUID()}`),
    'delete a mapped route in': async (cell) => {
      const guid = await mappedRoute(cell.world, space);
      return as(cell, { method: 'DELETE', path: `/v3/routes/${guid}` });
    },
    'delete unmapped routes of space': remove((world) => `/v3/spaces/${world.space[space]}/routes?unmapped=true`),
    'apply a manifest of a new app to space': manifestRequest('actions/apply_manifest', space),
    'diff a manifest of a new app against space': manifestRequest('manifest_diff', space),
    'get the apply_manifest job of space': get((world) => `/v3/jobs/space.apply_manifest~${world.space[space]}`),

    'get service instance in': get((world) => `/v3/service_instances/${of(world).serviceInstance}`),
    'get credentials of service instance in': get((world) => `/v3/service_instances/${of(world).serviceInstance}/credentials`),
    'create service instance in space': (cell) =>
      as(cell, {
        method: 'POST',
        path: '/v3/service_instances',
        body: {
          type: 'user-provided',
          name: unique(cell.row, 'service'),
          relationships: { space: { data: { guid: cell.world.space[space] } } },
        },
      }),
    'update service instance in': patch((world) => `/v3/service_instances/${of(world).serviceInstance}`, touch),
    'delete own service instance in': remove((_world, row) => `/v3/service_instances/${own(space)(row).services.instance}`),
    'get service credential binding in': get((world) => `/v3/service_credential_bindings/${of(world).binding}`),
    'get details of service credential binding in': get((world) => `/v3/service_credential_bindings/${of(world).binding}/details`),
    'bind own service instance to app': (cell) =>
      as(cell, {
        method: 'POST',
        path: '/v3/service_credential_bindings',
        body: {
          type: 'app',
          relationships: {
            service_instance: { data: { guid: own(space)(cell.row).services.bindable } },
            app: { data: { guid: of(cell.world).app } },
          },
        },
      }),
    'update service credential binding in': patch((world) => `/v3/service_credential_bindings/${of(world).binding}`, touch),
    'delete own service credential binding in': remove(
      (_world, row) => `/v3/service_credential_bindings/${own(space)(row).services.binding}`,
    ),

    'read recent logs of app': get((world) => `/api/v1/read/${of(world).app}?descending=true&envelope_types=LOG&limit=1000`),
  } satisfies Record<string, Run>;
  return Object.fromEntries(Object.entries(cells).map(([what, run]) => [`${what} ${space}`, run])) as {
    [K in keyof typeof cells as `${K} ${S}`]: Run;
  };
};

const lifecycleA1 = lifecycleOperations('A1');
const lifecycleB1 = lifecycleOperations('B1');

/** The job of deleting an org. */
const orgDeletionJob = (guid: string) => `/v3/jobs/org.delete~${guid}`;

/** How each operation of the matrix is carried out as the row's user. */
export const operations: Record<OperationName, Run> = {
  'list orgs': list('/v3/organizations', (world, org) => world.labels.orgs.get(org['name'] as string)),
  'get org A': get((world) => `/v3/organizations/${world.org.A}`),
  'get org B': get((world) => `/v3/organizations/${world.org.B}`),
  'list domains of org A': get((world) => `/v3/organizations/${world.org.A}/domains`),
  'list domains of org B': get((world) => `/v3/organizations/${world.org.B}/domains`),
  'update org A': patch((world) => `/v3/organizations/${world.org.A}`, touch),
  'update org B': patch((world) => `/v3/organizations/${world.org.B}`, touch),
  'rename org A to the name of org B': patch((world) => `/v3/organizations/${world.org.A}`, { name: orgNames.B }),
  'create org': post('/v3/organizations', (_world, row) => ({ name: unique(row, 'new-org') })),
  'create org with the name of org B': post('/v3/organizations', () => ({ name: orgNames.B })),
  'delete own org': remove((_world, row) => `/v3/organizations/${row.ownOrg}`),
  'delete foreign org': remove((_world, row) => `/v3/organizations/${row.foreignOrg}`),

  'list spaces': list('/v3/spaces', (world, space) => world.labels.spaces.get(space['name'] as string)),
  'get space A1': get((world) => `/v3/spaces/${world.space.A1}`),
  'get space A2': get((world) => `/v3/spaces/${world.space.A2}`),
  'get space B1': get((world) => `/v3/spaces/${world.space.B1}`),
  'create space in org A': post('/v3/spaces', (world, row) => spaceBody(unique(row, 'new-space'), world.org.A)),
  'create space in org B': post('/v3/spaces', (world, row) => spaceBody(unique(row, 'new-space'), world.org.B)),
  'create space in org A with the name of space A2': post('/v3/spaces', (world) => spaceBody(spaceNames.A2, world.org.A)),
  'update space A1': patch((world) => `/v3/spaces/${world.space.A1}`, touch),
  'update space B1': patch((world) => `/v3/spaces/${world.space.B1}`, touch),
  'delete own space': remove((_world, row) => `/v3/spaces/${row.ownSpace}`),
  'delete foreign space': remove((_world, row) => `/v3/spaces/${row.foreignSpace}`),

  'list domains': list('/v3/domains', (world, domain) => world.labels.domains.get(domain['name'] as string)),
  'get default domain': get((world) => `/v3/domains/${world.defaultDomain}`),
  'create domain': post('/v3/domains', (_world, row) => ({ name: `${unique(row, 'domain')}.authz.example.test` })),
  'create domain with a taken name': post('/v3/domains', (world) => ({ name: world.server.config.defaultDomain })),
  'update default domain': patch((world) => `/v3/domains/${world.defaultDomain}`, touch),
  'update default domain with the labels it has': patch((world) => `/v3/domains/${world.defaultDomain}`, keptLabels),
  'delete a domain': remove((_world, row) => `/v3/domains/${row.domain}`),

  'list roles': list('/v3/roles', (world, role) => world.labels.roleTargets.get(roleTarget(role))),
  'get role in A': get((world) => `/v3/roles/${world.role.inA}`),
  'get role in B': get((world) => `/v3/roles/${world.role.inB}`),
  'create org role in A': post('/v3/roles', (world, row) => roleBody('organization_user', unique(row, 'new-user'), world.org.A)),
  'create org role in B': post('/v3/roles', (world, row) => roleBody('organization_user', unique(row, 'new-user'), world.org.B)),
  'create space role in A1': post('/v3/roles', (world, row) => roleBody('space_developer', row.spaceRoleTargets.A1, world.space.A1)),
  'create space role in B1': post('/v3/roles', (world, row) => roleBody('space_developer', row.spaceRoleTargets.B1, world.space.B1)),
  'delete org role in A': remove((_world, row) => `/v3/roles/${row.victims.orgA}`),
  'delete org role in B': remove((_world, row) => `/v3/roles/${row.victims.orgB}`),
  'delete space role in A1': remove((_world, row) => `/v3/roles/${row.victims.spaceA1}`),

  'list users': list('/v3/users', (world, user) => world.labels.users.get(user['guid'] as string)),

  'get user bystander-A': get((world) => `/v3/users/${encodeURIComponent(world.bystander.A)}`),
  'get user bystander-B': get((world) => `/v3/users/${encodeURIComponent(world.bystander.B)}`),
  'get oneself as a user': get((_world, row) => `/v3/users/${encodeURIComponent(row.user.name)}`),
  'get a user nobody knows': get(() => `/v3/users/authz-nobody-${randomUUID()}`),

  'list spaces, include=organization': included(() => '/v3/spaces?include=organization&per_page=5000'),
  'list spaces of org B, include=organization': included((world) => `/v3/spaces?organization_guids=${world.org.B}&include=organization`),
  'get space A1, include=organization': included((world) => `/v3/spaces/${world.space.A1}?include=organization`),
  'get space B1, include=organization': included((world) => `/v3/spaces/${world.space.B1}?include=organization`),
  'list roles, include=organization': included(() => '/v3/roles?include=organization&per_page=5000'),
  'list roles, include=space': included(() => '/v3/roles?include=space&per_page=5000'),
  'list roles, include=user': included(() => '/v3/roles?include=user&per_page=5000'),
  'list roles of org B, include=organization,user': included(
    (world) => `/v3/roles?organization_guids=${world.org.B}&include=organization,user&per_page=5000`,
  ),
  'list roles of space B1, include=space,user': included(
    (world) => `/v3/roles?space_guids=${world.space.B1}&include=space,user&per_page=5000`,
  ),

  'get default domain of org A': get((world) => `/v3/organizations/${world.org.A}/domains/default`),
  'get default domain of org B': get((world) => `/v3/organizations/${world.org.B}/domains/default`),
  'get feature ssh of space A1': get((world) => `/v3/spaces/${world.space.A1}/features/ssh`),
  'get feature ssh of space B1': get((world) => `/v3/spaces/${world.space.B1}/features/ssh`),
  'get an unknown feature of space B1': get((world) => `/v3/spaces/${world.space.B1}/features/no-such-feature`),

  'list isolation segments': list('/v3/isolation_segments', () => undefined),
  'get isolation segment of space A1': get((world) => `/v3/spaces/${world.space.A1}/relationships/isolation_segment`),
  'get isolation segment of space B1': get((world) => `/v3/spaces/${world.space.B1}/relationships/isolation_segment`),
  'get default isolation segment of org A': get((world) => `/v3/organizations/${world.org.A}/relationships/default_isolation_segment`),
  'get default isolation segment of org B': get((world) => `/v3/organizations/${world.org.B}/relationships/default_isolation_segment`),
  'list running security groups of space A1': get((world) => `/v3/spaces/${world.space.A1}/running_security_groups`),
  'list staging security groups of space A1': get((world) => `/v3/spaces/${world.space.A1}/staging_security_groups`),
  'list running security groups of space B1': get((world) => `/v3/spaces/${world.space.B1}/running_security_groups`),
  'list staging security groups of space B1': get((world) => `/v3/spaces/${world.space.B1}/staging_security_groups`),

  // An app is labelled by its space, so apps the cells create land under the same labels.
  'list apps': list('/v3/apps', (world, app) => world.labels.roleTargets.get(appSpace(app))),
  'get app in A1': get((world) => `/v3/apps/${world.app.A1}`),
  'get app in B1': get((world) => `/v3/apps/${world.app.B1}`),
  'create app in space A1': post('/v3/apps', (world, row) => appBody(unique(row, 'new-app'), world.space.A1)),
  'create app in space B1': post('/v3/apps', (world, row) => appBody(unique(row, 'new-app'), world.space.B1)),
  'create app in space A1 with the name of app A1': post('/v3/apps', (world) => appBody(appNames.A1, world.space.A1)),
  'update app in A1': patch((world) => `/v3/apps/${world.app.A1}`, touch),
  'update app in B1': patch((world) => `/v3/apps/${world.app.B1}`, touch),
  'delete own app in A1': remove((_world, row) => `/v3/apps/${row.apps.A1}`),
  'delete foreign app in B1': remove((_world, row) => `/v3/apps/${row.apps.B1}`),
  'get environment variables of app A1': get((world) => `/v3/apps/${world.app.A1}/environment_variables`),
  'get environment variables of app B1': get((world) => `/v3/apps/${world.app.B1}/environment_variables`),
  'update environment variables of app A1': patch((world) => `/v3/apps/${world.app.A1}/environment_variables`, touchEnvironment),
  'update environment variables of app B1': patch((world) => `/v3/apps/${world.app.B1}/environment_variables`, touchEnvironment),

  // App lifecycle: lists (labelled by the space of the lifecycle app a resource belongs to), then the
  // same cells on the objects of A1 and of B1.
  'list packages': list('/v3/packages', byApp),
  'list builds': list('/v3/builds', byApp),
  'list droplets': list('/v3/droplets', byApp),
  'list processes': list('/v3/processes', byApp),
  'list tasks': list('/v3/tasks', byApp),
  'list deployments': list('/v3/deployments', byApp),
  'list routes': list('/v3/routes', routeSpace),
  'list service instances': list('/v3/service_instances', routeSpace),
  'list service credential bindings': list('/v3/service_credential_bindings', byApp),
  'list routes, include=domain,space,space.organization': included(
    () => '/v3/routes?include=domain,space,space.organization&per_page=5000',
  ),
  'list buildpacks': list('/v3/buildpacks', builder),
  'list stacks': list('/v3/stacks', builder),
  'create resource match': post('/v3/resource_matches', () => ({ resources: [] })),
  ...lifecycleA1,
  ...lifecycleB1,

  'get job of a deletion of an unknown guid': get(() => orgDeletionJob(randomUUID())),
  'get job of org A (not being deleted)': get((world) => orgDeletionJob(world.org.A)),
  'get job of org B (not being deleted)': get((world) => orgDeletionJob(world.org.B)),
  'get job of a foreign org being deleted': get((world) => orgDeletionJob(world.heldOrg)),
};
