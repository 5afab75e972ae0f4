import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { eventually } from '../store/fixture.ts';
import { linesOf } from './support/cf-cli.ts';
import { loggedIn, type E2eWorld } from './support/world.ts';

/** Names unique per run, lower case as people type them. */
const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/**
 * The app commands of a cf CLI user: `cf create-app` (and again for a taken name), `cf app --guid`,
 * `cf delete`, and a docker app's whole life on the server's scripted runtime (`appRuntime: scripted`,
 * which both e2e servers run): `cf start` staging its newest package, `apps`, `app`, `scale -i`,
 * `set-env`/`env`/`unset-env`, `restart`, `run-task`/`tasks`/`terminate-task`, `stop`, `rename`,
 * `delete`. Each test makes its own org and space.
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

  it('a docker app from start to delete: cf start stages it, then apps, app, scale, env, restart, tasks, stop, rename, delete', async () => {
    const cf = await loggedIn(world(), world().admin);
    const names = { org: unique('org'), space: unique('space'), app: unique('app'), renamed: unique('renamed') };
    await cf.ok('create-org', names.org);
    await cf.ok('create-space', names.space, '-o', names.org);
    await cf.ok('target', '-o', names.org, '-s', names.space);
    await cf.ok('create-app', names.app, '--app-type', 'docker');
    const stopped = linesOf((await cf.ok('app', names.app)).output);
    expect(stopped).to.include('requested state:   stopped');
    // The CLI has no command that makes a docker package without pushing; cf curl makes one as push would.
    const guid = (await cf.ok('app', names.app, '--guid')).stdout.trim();
    const packageBody = { type: 'docker', data: { image: 'registry.example/team/app:1' }, relationships: { app: { data: { guid } } } };
    await cf.ok('curl', '-X', 'POST', '/v3/packages', '-d', JSON.stringify(packageBody));

    // The newest package has no droplet, so cf start stages it (build, droplet, start) and waits for an instance.
    const started = linesOf((await cf.ok('start', names.app)).output);
    expect(started).to.include.members([
      'requested state:   started',
      'docker image:      registry.example/team/app:1',
      'instances:      1/1',
    ]);
    expect(
      started.some((line) => /^#0\s+running\s/.test(line)),
      started.join('\n'),
    ).to.equal(true);
    expect(
      linesOf((await cf.ok('apps')).output).some((line) => line.startsWith(`${names.app} `) && /started\s+web:1\/1/.test(line)),
    ).to.equal(true);

    // Over limits.instancesPerProcess (1000 by default): the CLI prints the 422's detail and fails.
    const refusedScale = await cf.fails('scale', names.app, '-i', '5000');
    expect(refusedScale.output).to.contain('instances must be less than or equal to 1000');
    const scaled = linesOf((await cf.ok('scale', names.app, '-i', '3')).output);
    expect(scaled).to.include('instances:      3/3');
    expect(scaled.filter((line) => /^#\d\s+running\s/.test(line))).to.have.length(3);

    await cf.ok('set-env', names.app, 'GREETING', 'hello world');
    expect(linesOf((await cf.ok('env', names.app)).output)).to.include.members(['User-Provided:', 'GREETING: hello world']);
    await cf.ok('unset-env', names.app, 'GREETING');
    expect((await cf.ok('env', names.app)).output).to.not.contain('GREETING');

    const restarted = linesOf((await cf.ok('restart', names.app)).output);
    expect(restarted).to.include('instances:      3/3');

    const task = linesOf((await cf.ok('run-task', names.app, '--command', 'rake db:migrate', '--name', 'migrate')).output);
    expect(task).to.include.members(['task name:   migrate', 'task id:     1']);
    await eventually(async () => {
      const tasks = linesOf((await cf.ok('tasks', names.app)).output);
      expect(
        tasks.some((line) => /^1\s+migrate\s+SUCCEEDED\s/.test(line)),
        tasks.join('\n'),
      ).to.equal(true);
    }, 30_000);
    // A task that runs until it is stopped: the scripted runtime reads SCRIPTED_TASK from the app's environment.
    await cf.ok('set-env', names.app, 'SCRIPTED_TASK', 'hang');
    await cf.ok('run-task', names.app, '--command', 'sleep infinity', '--name', 'forever');
    await cf.ok('terminate-task', names.app, '2');
    await eventually(async () => {
      const tasks = linesOf((await cf.ok('tasks', names.app)).output);
      expect(
        tasks.some((line) => /^2\s+forever\s+FAILED\s/.test(line)),
        tasks.join('\n'),
      ).to.equal(true);
    }, 30_000);

    await cf.ok('stop', names.app);
    await cf.ok('rename', names.app, names.renamed);
    const listed = linesOf((await cf.ok('apps')).output);
    expect(
      listed.some((line) => line.startsWith(`${names.renamed} `) && /stopped\s+web:0\/3/.test(line)),
      listed.join('\n'),
    ).to.equal(true);
    await cf.ok('delete', names.renamed, '-f');
    expect(linesOf((await cf.ok('apps')).output)).to.include('No apps found');
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
