import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { linesOf } from './support/cf-cli.ts';
import { loggedIn, type E2eWorld } from './support/world.ts';

/** Names unique per run, lower case as people type them. */
const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

type VcapServices = Record<string, { name: string; credentials: unknown; tags: string[] }[]>;

/** The VCAP_SERVICES object `cf env` prints (`VCAP_SERVICES: {` up to the closing brace on its own line). */
function vcapServicesOf(output: string): VcapServices {
  const heading = 'VCAP_SERVICES: ';
  const start = output.indexOf(heading);
  if (start === -1) throw new Error(`no VCAP_SERVICES in:\n${output}`);
  const end = output.indexOf('\n}\n', start);
  return JSON.parse(output.slice(start + heading.length, end + 2)) as VcapServices;
}

/**
 * The user-provided service commands of a cf CLI user: `cups` with `-p` JSON and `-t`, `services`,
 * `service`, `bind-service` to an app made with `create-app`, `env` showing VCAP_SERVICES,
 * `unbind-service`, `rename-service`, `uups` and `delete-service -f`. Its own org and space.
 */
export function defineServicesSession(world: () => E2eWorld): void {
  it('cf cups, services, service, bind-service, env, unbind-service, rename-service, uups, delete-service', async () => {
    const cf = await loggedIn(world(), world().admin);
    const names = { org: unique('org'), space: unique('space'), app: unique('app'), service: unique('db'), renamed: unique('store') };
    await cf.ok('create-org', names.org);
    await cf.ok('create-space', names.space, '-o', names.org);
    await cf.ok('target', '-o', names.org, '-s', names.space);
    await cf.ok('create-app', names.app);

    const created = await cf.ok('cups', names.service, '-p', '{"uri":"postgres://db:5432/x","password":"s3cret"}', '-t', 'pg, sql');
    expect(linesOf(created.output)).to.include('OK');
    // The CLI reads Korifi's "name is taken" as no failure.
    const again = await cf.ok('cups', names.service, '-p', '{"a":1}');
    expect(linesOf(again.output)).to.include(`Service instance ${names.service} already exists`);

    const listed = linesOf((await cf.ok('services')).output);
    expect(
      listed.some((line) => line.startsWith(`${names.service} `) && line.includes('user-provided')),
      listed.join('\n'),
    ).to.equal(true);
    const shown = (await cf.ok('service', names.service)).output;
    expect(shown).to.contain(names.service);
    expect(shown).to.contain('user-provided');
    expect(shown).to.contain('pg, sql');

    const bound = await cf.ok('bind-service', names.app, names.service);
    expect(linesOf(bound.output)).to.include('OK');
    // A second bind succeeds and says so, as on Cloud Foundry.
    const boundAgain = await cf.ok('bind-service', names.app, names.service);
    expect(boundAgain.output).to.contain(`App ${names.app} is already bound to service instance ${names.service}.`);
    const withApp = linesOf((await cf.ok('services')).output);
    expect(
      withApp.some((line) => line.startsWith(`${names.service} `) && line.includes(names.app)),
      withApp.join('\n'),
    ).to.equal(true);
    const env = vcapServicesOf((await cf.ok('env', names.app)).output);
    expect(env['user-provided']?.[0]).to.deep.include({
      name: names.service,
      credentials: { uri: 'postgres://db:5432/x', password: 's3cret' },
      tags: ['pg', 'sql'],
    });

    await cf.ok('unbind-service', names.app, names.service);
    expect((await cf.ok('env', names.app)).output).not.to.contain(names.service);

    await cf.ok('rename-service', names.service, names.renamed);
    await cf.ok('uups', names.renamed, '-p', '{"password":"n3w"}', '-t', 'store');
    await cf.ok('bind-service', names.app, names.renamed, '--binding-name', 'primary');
    const renamedEnv = vcapServicesOf((await cf.ok('env', names.app)).output);
    expect(renamedEnv['user-provided']?.[0]).to.deep.include({ name: 'primary', credentials: { password: 'n3w' }, tags: ['store'] });

    const deleted = await cf.ok('delete-service', names.renamed, '-f');
    expect(linesOf(deleted.output)).to.include('OK');
    const after = linesOf((await cf.ok('services')).output);
    expect(after.some((line) => line.startsWith(`${names.renamed} `))).to.equal(false);
    expect((await cf.ok('env', names.app)).output).not.to.contain(names.renamed);
  });
}
