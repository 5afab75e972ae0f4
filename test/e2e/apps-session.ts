import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { linesOf } from './support/cf-cli.ts';
import { loggedIn, type E2eWorld } from './support/world.ts';

/** Names unique per run, lower case as people type them. */
const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/**
 * The app commands of a cf CLI user that need no processes, routes or droplets yet: `cf create-app`
 * (and again for a taken name), `cf app --guid` and `cf delete`. Each test makes its own org and space.
 */
export function defineAppsSession(world: () => E2eWorld): void {
  it('cf create-app (twice, and for docker), app --guid and delete -f', async () => {
    const cf = await loggedIn(world(), world().admin);
    const names = { org: unique('org'), space: unique('space'), app: unique('app'), docker: unique('docker') };
    await cf.ok('create-org', names.org);
    await cf.ok('create-space', names.space, '-o', names.org);
    await cf.ok('target', '-o', names.org, '-s', names.space);
    const user = world().admin.username;

    const created = await cf.ok('create-app', names.app);
    expect(linesOf(created.output)).to.include.members([
      `Creating app ${names.app} in org ${names.org} / space ${names.space} as ${user}...`,
      'OK',
    ]);
    // A taken name (in any letter case) is no failure: the CLI says the app exists.
    const again = await cf.ok('create-app', names.app.toUpperCase());
    expect(linesOf(again.output)).to.include.members([`App with the name '${names.app.toUpperCase()}' already exists.`, 'OK']);
    const guid = (await cf.ok('app', names.app, '--guid')).stdout.trim();
    expect(guid).to.match(/^[0-9a-f-]{36}$/);

    await cf.ok('create-app', names.docker, '--app-type', 'docker');
    expect((await cf.ok('app', names.docker, '--guid')).stdout.trim()).to.match(/^[0-9a-f-]{36}$/);

    const deleted = await cf.ok('delete', names.app, '-f');
    expect(linesOf(deleted.output)).to.include.members([
      `Deleting app ${names.app} in org ${names.org} / space ${names.space} as ${user}...`,
      'OK',
    ]);
    expect((await cf.fails('app', names.app, '--guid')).output).to.contain(`App '${names.app}' not found`);
    // The name is free again.
    await cf.ok('create-app', names.app);
  });

  it('a space developer creates apps; a space auditor may not', async () => {
    const admin = await loggedIn(world(), world().admin);
    const names = { org: unique('org'), space: unique('space') };
    await admin.ok('create-org', names.org);
    await admin.ok('create-space', names.space, '-o', names.org);
    const developer = await world().newCertificateUser(unique('dev'));
    const auditor = await world().newTokenUser(unique('aud'));
    await admin.ok('set-space-role', developer.username, names.org, names.space, 'SpaceDeveloper');
    await admin.ok('set-space-role', auditor.username, names.org, names.space, 'SpaceAuditor');

    const asDeveloper = await loggedIn(world(), developer);
    await asDeveloper.ok('target', '-o', names.org, '-s', names.space);
    const app = unique('app');
    await asDeveloper.ok('create-app', app);

    const asAuditor = await loggedIn(world(), auditor);
    await asAuditor.ok('target', '-o', names.org, '-s', names.space);
    expect((await asAuditor.ok('app', app, '--guid')).stdout.trim()).to.match(/^[0-9a-f-]{36}$/);
    const refused = await asAuditor.fails('create-app', unique('app'));
    expect(refused.output).to.contain('You are not authorized to perform the requested action');
  });
}
