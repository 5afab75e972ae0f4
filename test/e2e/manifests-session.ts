import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { linesOf } from './support/cf-cli.ts';
import { loggedIn, type E2eWorld } from './support/world.ts';

/** Names unique per run, lower case as people type them. */
const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/** A directory with the manifest in it. */
async function appDirectory(manifest: unknown): Promise<{ dir: string; manifestPath: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'cf-push-'));
  const manifestPath = join(dir, 'manifest.yml');
  await writeFile(manifestPath, stringify(manifest));
  return { dir, manifestPath };
}

/** Docker apps: the CLI makes a docker package rather than uploading bits (which need a registry on kubernetes). */
const docker = { image: 'registry.example/team/app:1' };

/**
 * `cf push --no-start -f manifest.yml` with the real cf CLI: the manifest's diff is printed, then
 * applied (a docker app, variables, processes, routes, a random route, a service binding), its package made;
 * pushed again with changes, the CLI prints what changes.
 */
export function defineManifestsSession(world: () => E2eWorld): void {
  it('cf push --no-start -f manifest.yml (routes, env, processes, services, random route), and again with changes', async () => {
    const cf = await loggedIn(world(), world().admin);
    const domain = world().defaultDomain;
    const names = { org: unique('org'), space: unique('space'), app: unique('app'), random: unique('rnd'), service: unique('svc') };
    await cf.ok('create-org', names.org);
    await cf.ok('create-space', names.space, '-o', names.org);
    await cf.ok('target', '-o', names.org, '-s', names.space);
    await cf.ok('create-user-provided-service', names.service, '-p', JSON.stringify({ password: 'secret' }));

    const application = {
      name: names.app,
      docker,
      env: { GREETING: 'hello' },
      routes: [{ route: `${names.app}.${domain}` }, { route: `${names.app}-api.${domain}/v1` }],
      services: [names.service],
      processes: [
        { type: 'web', instances: 2, memory: '256M' },
        { type: 'worker', command: 'node worker.js', instances: 1 },
      ],
    };
    const first = await appDirectory({ applications: [application] });
    const pushed = await cf.ok('push', '--no-start', '-f', first.manifestPath);
    expect(pushed.output).to.contain(`Applying manifest`);
    expect(pushed.output).to.not.contain('Unable to generate diff');
    // A new app is all additions.
    expect(linesOf(pushed.output)).to.include.members([`+ - name: ${names.app}`, '+   env:', '+     GREETING: hello']);

    const app = linesOf((await cf.ok('app', names.app)).output);
    expect(app).to.include('requested state:   stopped');
    expect(app.find((line) => line.startsWith('routes:')))
      .to.contain(`${names.app}.${domain}`)
      .and.contain(`${names.app}-api.${domain}/v1`);
    const env = (await cf.ok('env', names.app)).output;
    expect(env).to.contain('GREETING: hello');
    expect(env).to.contain(names.service).and.contain('"password": "secret"');
    const guid = (await cf.ok('app', names.app, '--guid')).stdout.trim();
    const processes = JSON.parse((await cf.ok('curl', `/v3/apps/${guid}/processes`)).stdout) as {
      resources: { type: string; instances: number; memory_in_mb: number }[];
    };
    expect(processes.resources.map(({ type, instances, memory_in_mb }) => ({ type, instances, memory_in_mb }))).to.have.deep.members([
      { type: 'web', instances: 2, memory_in_mb: 256 },
      { type: 'worker', instances: 1, memory_in_mb: 1024 },
    ]);

    // Pushed again with a changed variable and scale: the CLI prints both sides of each change.
    const changed = { ...application, env: { GREETING: 'hi' }, processes: [{ type: 'web', instances: 3, memory: '256M' }] };
    const second = await appDirectory({ applications: [changed] });
    const repushed = linesOf((await cf.ok('push', '--no-start', '-f', second.manifestPath)).output);
    expect(repushed).to.include.members(['-     GREETING: hello', '+     GREETING: hi', '-   - instances: 2', '+   - instances: 3']);

    // A random route on the default domain.
    const random = await appDirectory({ applications: [{ name: names.random, docker, 'random-route': true }] });
    await cf.ok('push', '--no-start', '-f', random.manifestPath);
    const routes = linesOf((await cf.ok('app', names.random)).output).find((line) => line.startsWith('routes:'));
    expect(routes).to.match(new RegExp(`${names.random}-[a-z]+-[a-z]+-[a-z]{2}\\.${domain.replaceAll('.', '\\.')}`));
  });

  it('cf create-app-manifest, pushed again unchanged (no diff) and to another space after the app is deleted', async () => {
    const cf = await loggedIn(world(), world().admin);
    const domain = world().defaultDomain;
    const names = { org: unique('org'), space: unique('space'), other: unique('space'), app: unique('app') };
    await cf.ok('create-org', names.org);
    await cf.ok('create-space', names.space, '-o', names.org);
    await cf.ok('create-space', names.other, '-o', names.org);
    await cf.ok('target', '-o', names.org, '-s', names.space);
    const source = await appDirectory({
      applications: [
        {
          name: names.app,
          docker,
          env: { GREETING: 'hello' },
          routes: [{ route: `${names.app}.${domain}` }],
          processes: [{ type: 'web', instances: 2, memory: '256M', 'health-check-type': 'process' }],
        },
      ],
    });
    await cf.ok('push', '--no-start', '-f', source.manifestPath);

    const written = join(source.dir, 'written.yml');
    const created = linesOf((await cf.ok('create-app-manifest', names.app, '-p', written)).output);
    expect(created).to.include(`Manifest file created successfully at ${written}`);
    const manifest = parseYaml(await readFile(written, 'utf8')) as { applications: Record<string, unknown>[] };
    expect(manifest.applications[0]).to.deep.include({
      name: names.app,
      env: { GREETING: 'hello' },
      docker: { image: docker.image },
      routes: [{ route: `${names.app}.${domain}`, protocol: 'http1' }],
    });

    // Pushed back as it is, nothing changes: the diff the CLI prints marks no line.
    // (Unchanged lines are indented; a change starts its line with - or +.)
    const again = (await cf.ok('push', '--no-start', '-f', written)).output.split('\n');
    expect(again).to.include('  applications:');
    expect(again.filter((line) => /^[-+]/.test(line))).to.deep.equal([]);

    await cf.ok('delete', names.app, '-r', '-f');
    await cf.ok('target', '-s', names.other);
    await cf.ok('push', '--no-start', '-f', written);
    const copied = join(source.dir, 'copied.yml');
    await cf.ok('create-app-manifest', names.app, '-p', copied);
    expect(parseYaml(await readFile(copied, 'utf8'))).to.deep.equal(manifest);
  });
}
