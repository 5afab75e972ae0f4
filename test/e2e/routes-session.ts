import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { linesOf } from './support/cf-cli.ts';
import { loggedIn, type E2eWorld } from './support/world.ts';

/** Names unique per run, lower case as people type them. */
const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/** The line of `cf routes` for a host (and path), split into its columns. */
const routeLine = (output: string, host: string, path = '') =>
  linesOf(output)
    .map((line) => line.split(/\s{2,}|\s(?=\S)/).filter((column) => column !== ''))
    .find(
      (columns) => columns.includes(host) && (path === '' ? !columns.some((column) => column.startsWith('/')) : columns.includes(path)),
    );

/**
 * The route commands of a cf CLI user on the default domain, with an app made by `cf create-app`:
 * `create-route` (again for a route that exists), `map-route` (to an existing route, again, and to one
 * it creates), `routes`, `unmap-route`, `delete-route -f`, `delete-orphaned-routes -f` and `delete -r -f`.
 */
export function defineRoutesSession(world: () => E2eWorld): void {
  it('cf create-route, map-route, routes, unmap-route, delete-route, delete-orphaned-routes and delete -r', async () => {
    const cf = await loggedIn(world(), world().admin);
    const domain = world().defaultDomain;
    const names = { org: unique('org'), space: unique('space'), app: unique('app'), host: unique('web'), other: unique('api') };
    await cf.ok('create-org', names.org);
    await cf.ok('create-space', names.space, '-o', names.org);
    await cf.ok('target', '-o', names.org, '-s', names.space);
    await cf.ok('create-app', names.app);

    const created = linesOf((await cf.ok('create-route', domain, '--hostname', names.host)).output);
    expect(created).to.include.members([`Route ${names.host}.${domain} has been created.`, 'OK']);
    // A route that exists is no failure: the CLI says so.
    const again = (await cf.ok('create-route', domain, '--hostname', names.host)).output;
    expect(again).to.contain('already exists');
    await cf.ok('create-route', domain, '--hostname', names.host, '--path', '/api');
    const refused = await cf.fails('create-route', domain, '--hostname', 'not_valid');
    expect(refused.output).to.contain('FQDN');

    await cf.ok('map-route', names.app, domain, '--hostname', names.host);
    const mappedAgain = (await cf.ok('map-route', names.app, domain, '--hostname', names.host)).output;
    expect(mappedAgain).to.contain('already mapped');
    // A route that does not exist yet is made by map-route.
    await cf.ok('map-route', names.app, domain, '--hostname', names.other, '--path', '/v2');

    const routes = (await cf.ok('routes')).output;
    expect(routeLine(routes, names.host), routes).to.include.members([names.space, names.host, domain, 'http', names.app]);
    expect(routeLine(routes, names.host, '/api'), routes).to.include.members([names.space, names.host, domain, '/api']);
    expect(routeLine(routes, names.host, '/api'), routes).to.not.include(names.app);
    expect(routeLine(routes, names.other, '/v2'), routes).to.include.members([names.other, '/v2', names.app]);
    const appRoutes = linesOf((await cf.ok('app', names.app)).output).find((line) => line.startsWith('routes:'));
    expect(appRoutes).to.contain(`${names.host}.${domain}`);

    await cf.ok('unmap-route', names.app, domain, '--hostname', names.host);
    const unmapped = (await cf.ok('routes')).output;
    expect(routeLine(unmapped, names.host), unmapped).to.not.include(names.app);

    await cf.ok('delete-route', domain, '--hostname', names.host, '--path', '/api', '-f');
    const afterDelete = (await cf.ok('routes')).output;
    expect(routeLine(afterDelete, names.host, '/api'), afterDelete).to.equal(undefined);

    // The unmapped route goes with the orphans; the mapped one stays.
    await cf.ok('delete-orphaned-routes', '-f');
    const afterOrphans = (await cf.ok('routes')).output;
    expect(routeLine(afterOrphans, names.host), afterOrphans).to.equal(undefined);
    expect(routeLine(afterOrphans, names.other, '/v2'), afterOrphans).to.include(names.app);

    // The app and its routes.
    await cf.ok('delete', names.app, '-r', '-f');
    expect(linesOf((await cf.ok('routes')).output).join('\n')).to.contain('No routes found');
  });
}
