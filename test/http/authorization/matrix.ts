/**
 * The authorization matrix: what each kind of CF user (one row per role) gets from each operation on
 * the org/space/domain/role/user/job endpoints and on every app-lifecycle endpoint (packages, builds,
 * droplets, processes, app actions, tasks, deployments, routes and their destinations, buildpacks and stacks),
 * as data. The runner in `authorization-matrix.test.ts` executes every cell on both backends.
 *
 * The world the operations act on (built by `world.ts`): org A with spaces A1 and A2, org B with space
 * B1. Each row's user holds its role in A (space rows: organization_user in A and their role in A1);
 * `admin` is a second CF admin whose root binding reaches every org and space only by propagation. In A1
 * and in B1 a docker app runs (scripted runtime): a package, a STAGED build that is its current droplet,
 * the web process, a running task and a route to it; the cells that use an object up (an upload, a
 * cancel) act on objects of their row's own. The cells on the shared app leave it as they found it (a
 * start after the stop; a scale to the size it has), so their order does not matter to the others.
 *
 * Rules encoded here (Korifi's, which CF's share where it matters for security):
 * - lists show only what the caller may see (orgs and spaces where they hold a role; org managers reach
 *   every space of their org by propagation; admins see everything);
 * - a resource the caller may not see is 404 (CF-ResourceNotFound), an action they may not take on a
 *   resource they see is 403 (CF-NotAuthorized), and a body naming an org/space they cannot see is 422;
 * - writes are authorized by the deploy/helm/cf-k8s-api/files/cf-roles ClusterRoles (as Korifi's), so only admins create or
 *   change orgs, domains and roles, org managers also create spaces and remove roles of their org, space
 *   managers remove roles of their space;
 * - the authorization decision comes before anything else, so a refused caller never learns whether a
 *   name is taken;
 * - `include=` adds only resources the caller could read by themselves (spaces→organization,
 *   roles→user/space/organization), whatever the filters ask for;
 * - a user is seen by themselves and by whoever sees one of their roles; any other user GUID is 404;
 * - the endpoints of features the platform lacks (space features, isolation segments, security
 *   groups) answer only for an org or space the caller sees, and 404 otherwise;
 * - apps are read and written as the caller, so Korifi's ClusterRoles decide: space roles read them, space
 *   developers (and admins) create, change and delete them, supporters change them, org roles see none;
 * - what runs in a space (packages, builds and droplets, processes, tasks, routes) is read and written as
 *   the caller too (a write that would change nothing is refused all the same): space developers (and admins) do everything; space managers and supporters read
 *   everything but app secrets; supporters also start, stop, scale, restart and deploy apps (they may patch
 *   apps and processes), but create no package, build or task; space auditors read apps only, so an app's
 *   packages, droplets, processes, tasks and routes are empty lists to them and each of those objects is
 *   404; deployments and the current droplet relationship are read from the app, so auditors see them;
 * - an app's logs (log-cache's read) are read by whoever sees the app, 404 otherwise (log-cache and Korifi);
 * - a write naming an object the caller cannot see in its body (an app for a package or a deployment, a
 *   package for a build) is 422, in its path 404; one they see but may not change is 403;
 * - user-provided service instances and their bindings are read as the caller like the other space
 *   objects: space developers (and admins) create, change, bind, unbind and delete them; space managers
 *   and supporters see them but not their credentials (a Secret); auditors and org roles see none;
 * - buildpacks and stacks are seen by every caller with a CF role (the builder lives in the root namespace);
 * - a job for a resource the caller cannot see tells as much as a job for a GUID that never existed
 *   (COMPLETE, as Korifi's user-credential read reports it).
 */

export const rows = [
  'none',
  'org_user',
  'org_manager',
  'org_auditor',
  'org_billing_manager',
  'space_developer',
  'space_manager',
  'space_auditor',
  'space_supporter',
  'admin',
] as const;

export type RowName = (typeof rows)[number];

export type OrgRoleType = 'organization_user' | 'organization_manager' | 'organization_auditor' | 'organization_billing_manager';
export type SpaceRoleType = 'space_developer' | 'space_manager' | 'space_auditor' | 'space_supporter';

/** The roles a row's user holds: an org role (in A), a space role (in A1), or CF admin. */
export type RowRoles = { org?: OrgRoleType; space?: SpaceRoleType; admin?: true };

export const rowRoles: Record<RowName, RowRoles> = {
  none: {},
  org_user: { org: 'organization_user' },
  org_manager: { org: 'organization_manager' },
  org_auditor: { org: 'organization_auditor' },
  org_billing_manager: { org: 'organization_billing_manager' },
  space_developer: { org: 'organization_user', space: 'space_developer' },
  space_manager: { org: 'organization_user', space: 'space_manager' },
  space_auditor: { org: 'organization_user', space: 'space_auditor' },
  space_supporter: { org: 'organization_user', space: 'space_supporter' },
  admin: { admin: true },
};

/**
 * Orgs A, B; spaces A1, A2, B1 (also what belongs to the lifecycle apps of A1 and B1); the default
 * domain; bystander users with roles in A/A2 and in B/B1; the builder's buildpacks and stacks.
 */
export type Label = 'A' | 'B' | 'A1' | 'A2' | 'B1' | 'default' | 'bystander-A' | 'bystander-B' | 'builder';

export type JobState = 'COMPLETE' | 'PROCESSING';

/** A name already taken: 422 with CF-UniquenessError (10016) rather than CF-UnprocessableEntity. */
export const U = 'CF-UniquenessError';

/**
 * One cell: an HTTP status (errors also checked for their CF code), a list's content as 200 with
 * exactly these labels among the world's labelled resources, or a job's state as 200 with that state.
 */
export type Expected = number | readonly Label[] | JobState | typeof U;

type RowExpectations = readonly [Expected, Expected, Expected, Expected, Expected, Expected, Expected, Expected, Expected, Expected];

const C = 'COMPLETE';
const P = 'PROCESSING';

/*
 * "own" targets are dedicated per row (an org where the row holds its org role, a space of A where it
 * holds its space role, a role of a fresh user), "foreign" ones likewise but without any role of the
 * row, so destructive cells never depend on the order they run in.
 */
// prettier-ignore
export const matrix = {
  //                                                  none   o_user o_mgr  o_aud  o_bill s_dev  s_mgr  s_aud  s_sup  admin
  'list orgs':                                       [[],    ['A'], ['A'], ['A'], ['A'], ['A'], ['A'], ['A'], ['A'], ['A', 'B']],
  'get org A':                                       [404,   200,   200,   200,   200,   200,   200,   200,   200,   200],
  'get org B':                                       [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'list domains of org A':                           [404,   200,   200,   200,   200,   200,   200,   200,   200,   200],
  'list domains of org B':                           [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'update org A':                                    [404,   403,   403,   403,   403,   403,   403,   403,   403,   200],
  'update org B':                                    [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'rename org A to the name of org B':               [404,   403,   403,   403,   403,   403,   403,   403,   403,   422],
  'create org':                                      [403,   403,   403,   403,   403,   403,   403,   403,   403,   201],
  'create org with the name of org B':               [403,   403,   403,   403,   403,   403,   403,   403,   403,   422],
  'delete own org':                                  [404,   403,   403,   403,   403,   403,   403,   403,   403,   202],
  'delete foreign org':                              [404,   404,   404,   404,   404,   404,   404,   404,   404,   202],

  'list spaces':                                     [[],    [],    ['A1', 'A2'], [], [], ['A1'], ['A1'], ['A1'], ['A1'], ['A1', 'A2', 'B1']],
  'get space A1':                                    [404,   404,   200,   404,   404,   200,   200,   200,   200,   200],
  'get space A2':                                    [404,   404,   200,   404,   404,   404,   404,   404,   404,   200],
  'get space B1':                                    [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'create space in org A':                           [422,   403,   201,   403,   403,   403,   403,   403,   403,   201],
  'create space in org B':                           [422,   422,   422,   422,   422,   422,   422,   422,   422,   201],
  'create space in org A with the name of space A2': [422,   403,   422,   403,   403,   403,   403,   403,   403,   422],
  'update space A1':                                 [404,   404,   403,   404,   404,   403,   403,   403,   403,   200],
  'update space B1':                                 [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'delete own space':                                [404,   404,   403,   404,   404,   403,   403,   403,   403,   202],
  'delete foreign space':                            [404,   404,   404,   404,   404,   404,   404,   404,   404,   202],

  'list domains':                                    [[],    ['default'], ['default'], ['default'], ['default'], ['default'], ['default'], ['default'], ['default'], ['default']],
  'get default domain':                              [404,   200,   200,   200,   200,   200,   200,   200,   200,   200],
  'create domain':                                   [403,   403,   403,   403,   403,   403,   403,   403,   403,   201],
  'create domain with a taken name':                 [403,   403,   403,   403,   403,   403,   403,   403,   403,   422],
  'update default domain':                           [404,   403,   403,   403,   403,   403,   403,   403,   403,   200],
  // A write that would change nothing (the labels are there since the world was built) is decided all the same.
  'update default domain with the labels it has':    [404,   403,   403,   403,   403,   403,   403,   403,   403,   200],
  'delete a domain':                                 [404,   403,   403,   403,   403,   403,   403,   403,   403,   202],

  'list roles':                                      [[],    ['A'], ['A', 'A1', 'A2'], ['A'], ['A'], ['A', 'A1'], ['A', 'A1'], ['A', 'A1'], ['A', 'A1'], ['A', 'A1', 'A2', 'B', 'B1']],
  'get role in A':                                   [404,   200,   200,   200,   200,   200,   200,   200,   200,   200],
  'get role in B':                                   [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'create org role in A':                            [422,   403,   403,   403,   403,   403,   403,   403,   403,   201],
  'create org role in B':                            [422,   422,   422,   422,   422,   422,   422,   422,   422,   201],
  'create space role in A1':                         [422,   422,   403,   422,   422,   403,   403,   403,   403,   201],
  'create space role in B1':                         [422,   422,   422,   422,   422,   422,   422,   422,   422,   201],
  'delete org role in A':                            [404,   403,   202,   403,   403,   403,   403,   403,   403,   202],
  'delete org role in B':                            [404,   404,   404,   404,   404,   404,   404,   404,   404,   202],
  'delete space role in A1':                         [404,   404,   202,   404,   404,   403,   202,   403,   403,   202],

  'list users':                                      [[],    ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A', 'bystander-B']],

  'get user bystander-A':                            [404,   200,   200,   200,   200,   200,   200,   200,   200,   200],
  'get user bystander-B':                            [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'get oneself as a user':                           [200,   200,   200,   200,   200,   200,   200,   200,   200,   200],
  'get a user nobody knows':                         [404,   404,   404,   404,   404,   404,   404,   404,   404,   404],

  // `include=` adds only what the caller could read by itself; the labels are those of the included resources.
  'list spaces, include=organization':               [[],    [],    ['A'], [],    [],    ['A'], ['A'], ['A'], ['A'], ['A', 'B']],
  'list spaces of org B, include=organization':      [[],    [],    [],    [],    [],    [],    [],    [],    [],    ['B']],
  'get space A1, include=organization':              [404,   404,   ['A'], 404,   404,   ['A'], ['A'], ['A'], ['A'], ['A']],
  'get space B1, include=organization':              [404,   404,   404,   404,   404,   404,   404,   404,   404,   ['B']],
  'list roles, include=organization':                [[],    ['A'], ['A'], ['A'], ['A'], ['A'], ['A'], ['A'], ['A'], ['A', 'B']],
  'list roles, include=space':                       [[],    [],    ['A1', 'A2'], [], [], ['A1'], ['A1'], ['A1'], ['A1'], ['A1', 'A2', 'B1']],
  'list roles, include=user':                        [[],    ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A'], ['bystander-A', 'bystander-B']],
  'list roles of org B, include=organization,user':  [[],    [],    [],    [],    [],    [],    [],    [],    [],    ['B', 'bystander-B']],
  'list roles of space B1, include=space,user':      [[],    [],    [],    [],    [],    [],    [],    [],    [],    ['B1', 'bystander-B']],

  'get default domain of org A':                     [404,   200,   200,   200,   200,   200,   200,   200,   200,   200],
  'get default domain of org B':                     [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'get feature ssh of space A1':                     [404,   404,   200,   404,   404,   200,   200,   200,   200,   200],
  'get feature ssh of space B1':                     [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'get an unknown feature of space B1':              [404,   404,   404,   404,   404,   404,   404,   404,   404,   422],

  'list isolation segments':                         [[],    [],    [],    [],    [],    [],    [],    [],    [],    []],
  'get isolation segment of space A1':               [404,   404,   200,   404,   404,   200,   200,   200,   200,   200],
  'get isolation segment of space B1':               [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'get default isolation segment of org A':          [404,   200,   200,   200,   200,   200,   200,   200,   200,   200],
  'get default isolation segment of org B':          [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'list running security groups of space A1':        [404,   404,   200,   404,   404,   200,   200,   200,   200,   200],
  'list staging security groups of space A1':        [404,   404,   200,   404,   404,   200,   200,   200,   200,   200],
  'list running security groups of space B1':        [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'list staging security groups of space B1':        [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],

  // Apps: RBAC decides (read as the caller), so org roles see none, even an org manager who sees the space.
  'list apps':                                       [[],    [],    [],    [],    [],    ['A1'], ['A1'], ['A1'], ['A1'], ['A1', 'A2', 'B1']],
  'get app in A1':                                   [404,   404,   404,   404,   404,   200,   200,   200,   200,   200],
  'get app in B1':                                   [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'create app in space A1':                          [422,   422,   403,   422,   422,   201,   403,   403,   403,   201],
  'create app in space B1':                          [422,   422,   422,   422,   422,   422,   422,   422,   422,   201],
  'create app in space A1 with the name of app A1':  [422,   422,   403,   422,   422,   U,     403,   403,   403,   U],
  'update app in A1':                                [404,   404,   404,   404,   404,   200,   403,   403,   200,   200],
  'update app in B1':                                [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'delete own app in A1':                            [404,   404,   404,   404,   404,   202,   403,   403,   403,   202],
  'delete foreign app in B1':                        [404,   404,   404,   404,   404,   404,   404,   404,   404,   202],
  // Environment variables live in a Secret, which only developers and admins may read and patch.
  'get environment variables of app A1':             [404,   404,   404,   404,   404,   200,   403,   403,   403,   200],
  'get environment variables of app B1':             [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],
  'update environment variables of app A1':          [404,   404,   404,   404,   404,   200,   403,   403,   403,   200],
  'update environment variables of app B1':          [404,   404,   404,   404,   404,   404,   404,   404,   404,   200],

  // App lifecycle. Lists are labelled by the space of the lifecycle app a resource belongs to.
  'list packages':                                   [[],   [],   [],   [],   [],   ['A1'], ['A1'], [],   ['A1'], ['A1', 'B1']],
  'list builds':                                     [[],   [],   [],   [],   [],   ['A1'], ['A1'], [],   ['A1'], ['A1', 'B1']],
  'list droplets':                                   [[],   [],   [],   [],   [],   ['A1'], ['A1'], [],   ['A1'], ['A1', 'B1']],
  'list processes':                                  [[],   [],   [],   [],   [],   ['A1'], ['A1'], [],   ['A1'], ['A1', 'B1']],
  'list tasks':                                      [[],   [],   [],   [],   [],   ['A1'], ['A1'], [],   ['A1'], ['A1', 'B1']],
  'list deployments':                                [[],   [],   [],   [],   [],   ['A1'], ['A1'], ['A1'], ['A1'], ['A1', 'B1']],
  'list routes':                                     [[],   [],   [],   [],   [],   ['A1'], ['A1'], [],   ['A1'], ['A1', 'B1']],
  'list service instances':                          [[],   [],   [],   [],   [],   ['A1'], ['A1'], [],   ['A1'], ['A1', 'B1']],
  'list service credential bindings':                [[],   [],   [],   [],   [],   ['A1'], ['A1'], [],   ['A1'], ['A1', 'B1']],
  'list routes, include=domain,space,space.organization': [[], [], [], [], [], ['A', 'A1', 'default'], ['A', 'A1', 'default'], [], ['A', 'A1', 'default'], ['A', 'A1', 'B', 'B1', 'default']],
  'list buildpacks':                                 [[],   ['builder'], ['builder'], ['builder'], ['builder'], ['builder'], ['builder'], ['builder'], ['builder'], ['builder']],
  'list stacks':                                     [[],   ['builder'], ['builder'], ['builder'], ['builder'], ['builder'], ['builder'], ['builder'], ['builder'], ['builder']],
  'create resource match':                           [201, 201, 201, 201, 201, 201, 201, 201, 201, 201],

  // The lifecycle objects of A1 (space roles hold their role here).
  'get package in A1':                               [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'create package for app A1':                       [422, 422, 422, 422, 422, 201, 403, 403, 403, 201],
  'update package in A1':                            [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'upload bits to own package in A1':                [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'list packages of app A1':                         [404, 404, 404, 404, 404, ['A1'], ['A1'], [],   ['A1'], ['A1']],
  'get build in A1':                                 [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'create build of package in A1':                   [422, 422, 422, 422, 422, 201, 403, 422, 403, 201],
  'update build in A1':                              [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'get droplet in A1':                               [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'update droplet in A1':                            [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'list droplets of app A1':                         [404, 404, 404, 404, 404, ['A1'], ['A1'], [],   ['A1'], ['A1']],
  'list droplets of package in A1':                  [404, 404, 404, 404, 404, ['A1'], ['A1'], 404, ['A1'], ['A1']],
  'get current droplet of app A1':                   [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'get current droplet relationship of app A1':      [404, 404, 404, 404, 404, 200, 200, 200, 200, 200],
  'set current droplet of app A1':                   [404, 404, 404, 404, 404, 200, 403, 403, 200, 200],
  'get process in A1':                               [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'update process in A1':                            [404, 404, 404, 404, 404, 200, 403, 404, 200, 200],
  'scale process in A1':                             [404, 404, 404, 404, 404, 200, 403, 404, 200, 200],
  'get stats of process in A1':                      [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'restart instance 0 of process in A1':             [404, 404, 404, 404, 404, 204, 403, 404, 204, 204],
  'list sidecars of process in A1':                  [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'list processes of app A1':                        [404, 404, 404, 404, 404, ['A1'], ['A1'], [],   ['A1'], ['A1']],
  'get web process of app A1':                       [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'get stats of web process of app A1':              [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'scale web process of app A1':                     [404, 404, 404, 404, 404, 200, 403, 404, 200, 200],
  'restart instance 0 of web process of app A1':     [404, 404, 404, 404, 404, 204, 403, 404, 204, 204],
  'list sidecars of app A1':                         [404, 404, 404, 404, 404, 200, 200, 200, 200, 200],
  'stop app A1':                                     [404, 404, 404, 404, 404, 200, 403, 403, 200, 200],
  'start app A1':                                    [404, 404, 404, 404, 404, 200, 403, 403, 200, 200],
  'restart app A1':                                  [404, 404, 404, 404, 404, 200, 403, 403, 200, 200],
  'get env of app A1':                               [404, 404, 404, 404, 404, 200, 403, 403, 403, 200],
  'list features of app A1':                         [404, 404, 404, 404, 404, 200, 200, 200, 200, 200],
  'get feature ssh of app A1':                       [404, 404, 404, 404, 404, 200, 200, 200, 200, 200],
  'disable feature ssh of app A1':                   [404, 404, 404, 404, 404, 200, 403, 403, 200, 200],
  'get ssh_enabled of app A1':                       [404, 404, 404, 404, 404, 200, 200, 200, 200, 200],
  'get task in A1':                                  [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'list tasks of app A1':                            [404, 404, 404, 404, 404, ['A1'], ['A1'], [],   ['A1'], ['A1']],
  'create task for app A1':                          [404, 404, 404, 404, 404, 201, 403, 403, 403, 201],
  'update task in A1':                               [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'cancel own task in A1':                           [404, 404, 404, 404, 404, 202, 403, 404, 403, 202],
  'cancel own task (deprecated path) in A1':         [404, 404, 404, 404, 404, 202, 403, 404, 403, 202],
  'get deployment of app A1':                        [404, 404, 404, 404, 404, 200, 200, 200, 200, 200],
  'create deployment of app A1':                     [422, 422, 422, 422, 422, 201, 403, 403, 201, 201],
  'get route in A1':                                 [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'list routes of app A1':                           [404, 404, 404, 404, 404, ['A1'], ['A1'], [],   ['A1'], ['A1']],
  'list destinations of route in A1':                [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  // Routes are written by space developers (and admins) only; org managers see the space but not its routes.
  'create route in space A1':                        [422, 422, 403, 422, 422, 201, 403, 403, 403, 201],
  'update route in A1':                              [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'map app to route in A1':                          [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'unmap an unknown destination of route in A1':     [404, 404, 404, 404, 404, 422, 403, 404, 403, 422],
  'delete a mapped route in A1':                     [404, 404, 404, 404, 404, 202, 403, 404, 403, 202],
  'delete unmapped routes of space A1':              [404, 404, 403, 404, 404, 202, 403, 403, 403, 202],
  // Manifests: applied and diffed by space developers (and admins), as apps are created; whoever sees the space
  // but may not create apps in it gets 403. The job answers COMPLETE to anyone (the apply is done before it).
  'apply a manifest of a new app to space A1':       [404, 404, 403, 404, 404, 202, 403, 403, 403, 202],
  'diff a manifest of a new app against space A1':   [404, 404, 403, 404, 404, 202, 403, 403, 403, 202],
  'get the apply_manifest job of space A1':          [C,     C,     C,     C,     C,     C,     C,     C,     C,     C],
  // User-provided services: space developers (and admins) write; managers and supporters read all but the
  // credentials (a Secret); auditors and org roles see none (org managers, who see the space, get 403 creating).
  'get service instance in A1':                      [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'get credentials of service instance in A1':       [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'create service instance in space A1':             [422, 422, 403, 422, 422, 201, 403, 403, 403, 201],
  'update service instance in A1':                   [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'delete own service instance in A1':               [404, 404, 404, 404, 404, 204, 403, 404, 403, 204],
  'get service credential binding in A1':            [404, 404, 404, 404, 404, 200, 200, 404, 200, 200],
  'get details of service credential binding in A1': [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'bind own service instance to app A1':             [404, 404, 404, 404, 404, 201, 403, 404, 403, 201],
  'update service credential binding in A1':         [404, 404, 404, 404, 404, 200, 403, 404, 403, 200],
  'delete own service credential binding in A1':     [404, 404, 404, 404, 404, 204, 403, 404, 403, 204],
  'read recent logs of app A1':                      [404, 404, 404, 404, 404, 200, 200, 200, 200, 200],

  // The lifecycle objects of B1 (only admins see them).
  'get package in B1':                               [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'create package for app B1':                       [422, 422, 422, 422, 422, 422, 422, 422, 422, 201],
  'update package in B1':                            [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'upload bits to own package in B1':                [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'list packages of app B1':                         [404, 404, 404, 404, 404, 404, 404, 404, 404, ['B1']],
  'get build in B1':                                 [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'create build of package in B1':                   [422, 422, 422, 422, 422, 422, 422, 422, 422, 201],
  'update build in B1':                              [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get droplet in B1':                               [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'update droplet in B1':                            [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'list droplets of app B1':                         [404, 404, 404, 404, 404, 404, 404, 404, 404, ['B1']],
  'list droplets of package in B1':                  [404, 404, 404, 404, 404, 404, 404, 404, 404, ['B1']],
  'get current droplet of app B1':                   [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get current droplet relationship of app B1':      [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'set current droplet of app B1':                   [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get process in B1':                               [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'update process in B1':                            [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'scale process in B1':                             [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get stats of process in B1':                      [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'restart instance 0 of process in B1':             [404, 404, 404, 404, 404, 404, 404, 404, 404, 204],
  'list sidecars of process in B1':                  [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'list processes of app B1':                        [404, 404, 404, 404, 404, 404, 404, 404, 404, ['B1']],
  'get web process of app B1':                       [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get stats of web process of app B1':              [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'scale web process of app B1':                     [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'restart instance 0 of web process of app B1':     [404, 404, 404, 404, 404, 404, 404, 404, 404, 204],
  'list sidecars of app B1':                         [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'stop app B1':                                     [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'start app B1':                                    [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'restart app B1':                                  [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get env of app B1':                               [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'list features of app B1':                         [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get feature ssh of app B1':                       [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'disable feature ssh of app B1':                   [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get ssh_enabled of app B1':                       [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get task in B1':                                  [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'list tasks of app B1':                            [404, 404, 404, 404, 404, 404, 404, 404, 404, ['B1']],
  'create task for app B1':                          [404, 404, 404, 404, 404, 404, 404, 404, 404, 201],
  'update task in B1':                               [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'cancel own task in B1':                           [404, 404, 404, 404, 404, 404, 404, 404, 404, 202],
  'cancel own task (deprecated path) in B1':         [404, 404, 404, 404, 404, 404, 404, 404, 404, 202],
  'get deployment of app B1':                        [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'create deployment of app B1':                     [422, 422, 422, 422, 422, 422, 422, 422, 422, 201],
  'get route in B1':                                 [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'list routes of app B1':                           [404, 404, 404, 404, 404, 404, 404, 404, 404, ['B1']],
  'list destinations of route in B1':                [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'create route in space B1':                        [422, 422, 422, 422, 422, 422, 422, 422, 422, 201],
  'update route in B1':                              [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'map app to route in B1':                          [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'unmap an unknown destination of route in B1':     [404, 404, 404, 404, 404, 404, 404, 404, 404, 422],
  'delete a mapped route in B1':                     [404, 404, 404, 404, 404, 404, 404, 404, 404, 202],
  'delete unmapped routes of space B1':              [404, 404, 404, 404, 404, 404, 404, 404, 404, 202],
  'apply a manifest of a new app to space B1':       [404, 404, 404, 404, 404, 404, 404, 404, 404, 202],
  'diff a manifest of a new app against space B1':   [404, 404, 404, 404, 404, 404, 404, 404, 404, 202],
  'get the apply_manifest job of space B1':          [C,     C,     C,     C,     C,     C,     C,     C,     C,     C],
  'get service instance in B1':                      [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get credentials of service instance in B1':       [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'create service instance in space B1':             [422, 422, 422, 422, 422, 422, 422, 422, 422, 201],
  'update service instance in B1':                   [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'delete own service instance in B1':               [404, 404, 404, 404, 404, 404, 404, 404, 404, 204],
  'get service credential binding in B1':            [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'get details of service credential binding in B1': [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'bind own service instance to app B1':             [404, 404, 404, 404, 404, 404, 404, 404, 404, 201],
  'update service credential binding in B1':         [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],
  'delete own service credential binding in B1':     [404, 404, 404, 404, 404, 404, 404, 404, 404, 204],
  'read recent logs of app B1':                      [404, 404, 404, 404, 404, 404, 404, 404, 404, 200],

  'get job of a deletion of an unknown guid':        [C,     C,     C,     C,     C,     C,     C,     C,     C,     C],
  'get job of org A (not being deleted)':            [C,     404,   404,   404,   404,   404,   404,   404,   404,   404],
  'get job of org B (not being deleted)':            [C,     C,     C,     C,     C,     C,     C,     C,     C,     404],
  'get job of a foreign org being deleted':          [C,     C,     C,     C,     C,     C,     C,     C,     C,     P],
} as const satisfies Record<string, RowExpectations>;

export type OperationName = keyof typeof matrix;
