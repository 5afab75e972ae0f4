import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { eventually } from '../store/fixture.ts';
import { projectRoot } from '../support/server-process.ts';
import { linesOf, type CfCli } from './support/cf-cli.ts';
import { throughRouter } from './support/router-client.ts';
import { runningProcessesOf, streamCf } from './support/local-processes.ts';
import { loggedIn, type E2eWorld } from './support/world.ts';

const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;
const sampleApp = (name: string) => join(projectRoot, 'test', 'fixtures', 'apps', name);

/** A server that runs apps on the local runtime, with the port of its router, and its CF admin. */
export type LocalRuntimeWorld = Pick<E2eWorld, 'backend' | 'apiUrl' | 'kubeconfig' | 'admin' | 'defaultDomain'> & { routerPort: number };

/** A copy of a sample app in a temporary directory, with a manifest when given. */
async function appDirectory(sample: string, manifest?: object): Promise<string> {
  const directory = join(await mkdtemp(join(tmpdir(), 'cf-push-')), sample);
  await cp(sampleApp(sample), directory, { recursive: true });
  if (manifest) await writeFile(join(directory, 'manifest.yml'), stringifyYaml(manifest));
  return directory;
}

/** An org and a space of their own, targeted. */
async function targetedSpace(world: LocalRuntimeWorld): Promise<CfCli> {
  const cf = await loggedIn(world, world.admin);
  const org = unique('org');
  const space = unique('space');
  await cf.ok('create-org', org);
  await cf.ok('create-space', space, '-o', org);
  await cf.ok('target', '-o', org, '-s', space);
  return cf;
}

/** The rows of `cf app`'s instance table: `#<index>  <state>  <since>  <cpu>  <memory>  <disk> …`. */
const instanceRows = (output: string) => linesOf(output).filter((line) => /^#\d+\s/.test(line));

/**
 * `cf push` on the local runtime with the real CLI, as a developer on a laptop: the sample apps of
 * test/fixtures/apps staged by the local buildpacks, run as processes of the server, reached through
 * its router at `http://<app>.<default domain>:<router port>/`, with their logs, scaling, environment,
 * services, tasks, crashes, rolling pushes and deletion.
 */
export function definePushSession(world: () => LocalRuntimeWorld): void {
  it('cf push of a Node app from its directory: staged, running with usage, routed, logs, scale -i 3, set-env, restart, stop, start, restage', async () => {
    const cf = await targetedSpace(world());
    const app = unique('node');
    const host = `${app}.${world().defaultDomain}`;
    const pushed = await cf.in(await appDirectory('node-app')).ok('push', app);
    const summary = linesOf(pushed.output);
    expect(summary).to.include('requested state:   started');
    expect(summary).to.include(`routes:            ${host}`);
    expect(instanceRows(pushed.output)[0], pushed.output).to.match(/^#0\s+running\s/);

    const answer = await throughRouter(world().routerPort, host, '/');
    expect(answer.status).to.equal(200);
    expect(answer.body).to.match(/^Hello from node-app instance 0 /);

    // Usage as the OS measures it: CPU in percent, memory and disk in use of their quotas.
    const shown = await eventually(async () => {
      const rows = instanceRows((await cf.ok('app', app)).output);
      expect(rows[0]).to.match(/^#0\s+running\s+\S+\s+\d+(\.\d+)?%\s+\d+(\.\d+)?[KMG]?B? of 1G\s+\d+(\.\d+)?[KMG]?B? of 1G/);
      return rows;
    }, 30_000);
    expect(shown).to.have.length(1);

    const recent = linesOf((await cf.ok('logs', app, '--recent')).output);
    expect(
      recent.some((line) => line.includes('[STG/0]')),
      recent.join('\n'),
    ).to.equal(true);
    expect(
      recent.some((line) => /\[APP\/PROC\/WEB\/0\] OUT node-app instance 0 listening on port \d+/.test(line)),
      recent.join('\n'),
    ).to.equal(true);

    const stream = streamCf(cf, 'logs', app);
    try {
      await eventually(async () => expect(stream.output()).to.contain(`Retrieving logs for app ${app}`), 20_000);
      await cf.ok('scale', app, '-i', '3');
      await eventually(async () => expect(stream.output()).to.match(/\[APP\/PROC\/WEB\/2\] OUT node-app instance 2 listening/), 60_000);
    } finally {
      stream.stop();
    }
    await eventually(async () => {
      const seen = new Set<string>();
      for (let request = 0; request < 6; request++) seen.add((await throughRouter(world().routerPort, host, '/')).body.split(' ')[4] ?? '');
      expect([...seen].sort()).to.deep.equal(['0', '1', '2']);
    }, 60_000);

    await cf.ok('set-env', app, 'GREETING', 'hi-there');
    await cf.ok('restart', app);
    expect((await throughRouter(world().routerPort, host, '/')).body).to.contain('hi-there');

    await cf.ok('stop', app);
    expect((await throughRouter(world().routerPort, host, '/')).status).to.equal(404);
    await cf.ok('start', app);
    expect((await throughRouter(world().routerPort, host, '/')).status).to.equal(200);
    const restaged = await cf.ok('restage', app);
    expect(linesOf(restaged.output)).to.include('requested state:   started');
    expect((await throughRouter(world().routerPort, host, '/')).body).to.contain('hi-there');
  });

  it('cf push with a manifest: a static site, a Python app and a Procfile app, each answering on its route', async () => {
    const cf = await targetedSpace(world());
    const apps = { site: unique('site'), python: unique('py'), procfile: unique('proc') };
    const domain = world().defaultDomain;
    await cf
      .in(
        await appDirectory('static-site', {
          applications: [{ name: apps.site, memory: '64M', routes: [{ route: `${apps.site}.${domain}` }] }],
        }),
      )
      .ok('push');
    const page = await throughRouter(world().routerPort, `${apps.site}.${domain}`, '/');
    expect(page.status).to.equal(200);
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect((await throughRouter(world().routerPort, `${apps.site}.${domain}`, '/style.css')).headers['content-type']).to.match(
      /^text\/css/,
    );
    expect((await throughRouter(world().routerPort, `${apps.site}.${domain}`, '/missing.html')).status).to.equal(404);

    await cf
      .in(await appDirectory('python-app', { applications: [{ name: apps.python, memory: '128M', env: { GREETING: 'from-manifest' } }] }))
      .ok('push');
    const python = await throughRouter(world().routerPort, `${apps.python}.${domain}`, '/');
    expect(python.body).to.equal('Hello from python-app instance 0 from-manifest\n');

    await cf
      .in(
        await appDirectory('procfile-app', {
          applications: [{ name: apps.procfile, buildpacks: ['binary_buildpack'], 'random-route': true }],
        }),
      )
      .ok('push');
    const route = linesOf((await cf.ok('app', apps.procfile)).output)
      .find((line) => line.startsWith('routes:'))
      ?.split(/\s+/)[1];
    expect(route).to.match(new RegExp(`^${apps.procfile}(-[a-z0-9]+)+\\.${domain.replace(/\./g, '\\.')}$`));
    expect((await throughRouter(world().routerPort, route!, '/')).body).to.equal('Hello from procfile-app instance 0\n');
  });

  it('cf bind-service: the app reads VCAP_SERVICES after a restart; run-task, tasks, terminate-task', async () => {
    const cf = await targetedSpace(world());
    const app = unique('node');
    const host = `${app}.${world().defaultDomain}`;
    await cf.in(await appDirectory('node-app')).ok('push', app);
    await cf.ok('create-user-provided-service', `${app}-db`, '-p', '{"uri":"postgres://db.example:5432/app"}');
    await cf.ok('bind-service', app, `${app}-db`);
    await cf.ok('restart', app);
    const env = JSON.parse((await throughRouter(world().routerPort, host, '/env')).body) as {
      VCAP_SERVICES: Record<string, { name: string; credentials: object }[]>;
      VCAP_APPLICATION: { application_name: string };
    };
    expect(env.VCAP_APPLICATION.application_name).to.equal(app);
    expect(env.VCAP_SERVICES['user-provided']?.[0]).to.deep.include({
      name: `${app}-db`,
      credentials: { uri: 'postgres://db.example:5432/app' },
    });

    await cf.ok('run-task', app, '--command', 'echo migrated', '--name', 'migrate');
    await cf.ok('run-task', app, '--command', 'exit 3', '--name', 'broken');
    await cf.ok('run-task', app, '--command', 'sleep 600', '--name', 'forever');
    await eventually(async () => {
      const tasks = linesOf((await cf.ok('tasks', app)).output);
      expect(tasks.find((line) => /^\d+\s+migrate\s/.test(line))).to.match(/SUCCEEDED/);
      expect(tasks.find((line) => /^\d+\s+broken\s/.test(line))).to.match(/FAILED/);
      expect(tasks.find((line) => /^\d+\s+forever\s/.test(line))).to.match(/RUNNING/);
    }, 60_000);
    const forever = linesOf((await cf.ok('tasks', app)).output)
      .find((line) => /^\d+\s+forever\s/.test(line))!
      .split(/\s+/)[0]!;
    await cf.ok('terminate-task', app, forever);
    await eventually(async () => {
      const tasks = linesOf((await cf.ok('tasks', app)).output);
      expect(tasks.find((line) => /^\d+\s+forever\s/.test(line))).to.match(/FAILED/);
    }, 60_000);
    const recent = (await cf.ok('logs', app, '--recent')).output;
    expect(recent).to.match(/\[APP\/TASK\/migrate\/0\] OUT migrated/);
  });

  it('an app that crashes is shown CRASHED and started again; push --strategy rolling keeps answering; delete -r -f leaves no process and no route', async () => {
    const cf = await targetedSpace(world());
    const crashing = unique('crash');
    const directory = await appDirectory('procfile-app');
    // Healthy for a moment (a process health check), then exits: Diego restarts it at once, three times.
    await cf.in(directory).ok('push', crashing, '-b', 'binary_buildpack', '-c', 'echo up; sleep 2; exit 7', '-u', 'process', '--no-route');
    const crashedOnce = await eventually(async () => {
      const output = (await cf.ok('app', crashing)).output;
      expect(output).to.match(/#0\s+crashed/);
      return output;
    }, 60_000);
    expect(crashedOnce).to.contain('crashed');
    await eventually(async () => {
      const recent = (await cf.ok('logs', crashing, '--recent')).output;
      expect(recent.match(/\[APP\/PROC\/WEB\/0\] OUT up/g) ?? []).to.have.length.at.least(2);
    }, 60_000);

    const app = unique('rolling');
    const host = `${app}.${world().defaultDomain}`;
    const appDir = await appDirectory('node-app');
    await cf.in(appDir).ok('push', app, '-i', '2');
    let failures = 0;
    let requests = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const answer = await throughRouter(world().routerPort, host, '/').catch(() => ({ status: 0, body: '', headers: {} }));
        requests++;
        if (answer.status !== 200) failures++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      await cf.in(appDir).ok('push', app, '--strategy', 'rolling');
    } finally {
      polling = false;
      await poll;
    }
    expect(requests).to.be.greaterThan(10);
    expect(failures, `${failures} of ${requests} requests failed during the rolling push`).to.equal(0);

    const appGuid = (await cf.ok('app', app, '--guid')).stdout.trim();
    await cf.ok('delete', app, '-r', '-f');
    expect((await throughRouter(world().routerPort, host, '/')).status).to.equal(404);
    expect(linesOf((await cf.ok('routes')).output).some((line) => line.includes(app))).to.equal(false);
    await eventually(async () => expect(await runningProcessesOf(appGuid)).to.deep.equal([]), 30_000);
  });
}
