import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { CfCli, linesOf, tableColumn } from './support/cf-cli.ts';
import { loggedIn, type E2eUser, type E2eWorld } from './support/world.ts';

/** Names unique per run, lower case as people type them. */
const unique = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

const notAuthorized = 'You are not authorized to perform the requested action';
const orgRoles = ['OrgManager', 'BillingManager', 'OrgAuditor'] as const;
const orgRoleHeadings = { OrgManager: 'ORG MANAGER', BillingManager: 'BILLING MANAGER', OrgAuditor: 'ORG AUDITOR' };
const spaceRoles = ['SpaceManager', 'SpaceDeveloper', 'SpaceAuditor', 'SpaceSupporter'] as const;
const spaceRoleHeadings = {
  SpaceManager: 'SPACE MANAGER',
  SpaceDeveloper: 'SPACE DEVELOPER',
  SpaceAuditor: 'SPACE AUDITOR',
  SpaceSupporter: 'SPACE SUPPORTER',
};

/** The users `cf org-users` / `cf space-users` list under a heading (`  alice (client)` → `alice`). */
function usersUnder(output: string, heading: string): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start === -1) throw new Error(`no "${heading}" section in:\n${output}`);
  const users: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('  ')) break;
    if (!line.trim().startsWith('No ')) users.push(line.trim().replace(/ \([^)]*\)$/, ''));
  }
  return users;
}

/**
 * The tenancy session of a cf CLI user, run with the real binary against a server started with
 * `npm start`: each test logs in afresh (its own CF_HOME) and makes its own orgs and spaces, so the tests
 * do not depend on each other or their order.
 */
export function defineTenancySession(world: () => E2eWorld): void {
  /** An org with one space, made by the admin through the CLI. */
  async function orgWithSpace(admin: CfCli): Promise<{ org: string; space: string }> {
    const names = { org: unique('org'), space: unique('space') };
    await admin.ok('create-org', names.org);
    await admin.ok('create-space', names.space, '-o', names.org);
    return names;
  }

  it('cf api, cf auth and cf target say who is logged in where', async () => {
    const { apiUrl, admin } = world();
    const cf = await CfCli.create(world().kubeconfig);
    const api = await cf.ok('api', apiUrl);
    expect(linesOf(api.output)).to.include.members([`API endpoint:   ${apiUrl}`, 'API version:    3.117.0+cf-k8s']);
    const auth = await cf.ok('auth', admin.kubeconfigUser);
    expect(linesOf(auth.output)).to.include.members(['Authenticating...', 'OK']);
    const target = await cf.ok('target');
    expect(linesOf(target.output)).to.include(`user:           ${admin.username}`);
    const orgs = await cf.ok('orgs');
    expect(orgs.output).to.contain(`Getting orgs as ${admin.username}...`);
    // /whoami and the org list, read from the CLI's trace and checked against the OpenAPI document.
    expect(orgs.exchanges).to.equal(2);
    // Korifi's advice to ask the platform for short-lived certificates: on a cluster (a CSR-signed
    // certificate valid for a year), not for the embedded backend's own local users.
    const warned = orgs.output.includes('The client certificate you provided for user authentication expires at');
    expect(warned, orgs.output).to.equal(world().backend === 'kubernetes');
  });

  it('cf login -a -u -o -s logs in without prompting and targets the org and space', async () => {
    const admin = await loggedIn(world(), world().admin);
    const { org, space } = await orgWithSpace(admin);
    const cf = await CfCli.create(world().kubeconfig);
    const login = await cf.ok('login', '-a', world().apiUrl, '-u', world().admin.kubeconfigUser, '-o', org, '-s', space);
    expect(linesOf(login.output)).to.include.members([
      `API endpoint: ${world().apiUrl}`,
      'Authenticating...',
      `Targeted org ${org}.`,
      `Targeted space ${space}.`,
      `user:           ${world().admin.username}`,
      `org:            ${org}`,
      `space:          ${space}`,
    ]);
  });

  it('cf create-org (twice), orgs, org and rename-org', async () => {
    const cf = await loggedIn(world(), world().admin);
    const name = unique('org');
    const created = await cf.ok('create-org', name);
    expect(linesOf(created.output)).to.include.members([`Creating org ${name} as ${world().admin.username}...`, 'OK']);
    const again = await cf.ok('create-org', name.toUpperCase());
    expect(linesOf(again.output)).to.include(`Organization '${name.toUpperCase()}' already exists.`);
    expect(tableColumn((await cf.ok('orgs')).stdout, 'name')).to.include(name);
    const org = await cf.ok('org', name);
    expect(linesOf(org.output)).to.include.members([`name:                 ${name}`, `domains:              ${world().defaultDomain}`]);
    expect((await cf.ok('org', name, '--guid')).stdout.trim()).to.match(/^[0-9a-f-]{36}$/);
    const renamed = unique('renamed');
    await cf.ok('rename-org', name, renamed);
    const orgs = tableColumn((await cf.ok('orgs')).stdout, 'name');
    expect(orgs).to.include(renamed).and.not.include(name);
    expect((await cf.fails('org', name)).output).to.contain(`Organization '${name}' not found.`);
  });

  it('cf create-space (twice), spaces, space --guid and rename-space', async () => {
    const cf = await loggedIn(world(), world().admin);
    const { org, space } = await orgWithSpace(cf);
    const again = await cf.ok('create-space', space, '-o', org);
    expect(linesOf(again.output)).to.include(`Space '${space}' already exists.`);
    await cf.ok('target', '-o', org);
    expect(tableColumn((await cf.ok('spaces')).stdout, 'name')).to.deep.equal([space]);
    const guid = (await cf.ok('space', space, '--guid')).stdout.trim();
    expect(guid).to.match(/^[0-9a-f-]{36}$/);
    // The creator manages and develops the space (the CLI grants both after creating it).
    const users = (await cf.ok('space-users', org, space)).output;
    expect(usersUnder(users, 'SPACE MANAGER')).to.deep.equal([world().admin.username]);
    expect(usersUnder(users, 'SPACE DEVELOPER')).to.deep.equal([world().admin.username]);
    const renamed = unique('renamed');
    await cf.ok('rename-space', space, renamed);
    expect(tableColumn((await cf.ok('spaces')).stdout, 'name')).to.deep.equal([renamed]);
    expect((await cf.ok('space', renamed, '--guid')).stdout.trim()).to.equal(guid);
  });

  it('cf set-org-role and unset-org-role for every org role, as cf org-users shows', async () => {
    const cf = await loggedIn(world(), world().admin);
    const { org } = await orgWithSpace(cf);
    const user = await world().newCertificateUser(unique('orgie'));
    for (const role of orgRoles) {
      const set = await cf.ok('set-org-role', user.username, org, role);
      expect(linesOf(set.output)).to.include(
        `Assigning role ${role} to user ${user.username} in org ${org} as ${world().admin.username}...`,
      );
    }
    const twice = await cf.ok('set-org-role', user.username, org, 'OrgAuditor');
    expect(linesOf(twice.output)).to.include(`User '${user.username}' already has role 'OrgAuditor' in org '${org}'.`);
    const listed = (await cf.ok('org-users', org)).output;
    for (const role of orgRoles) expect(usersUnder(listed, orgRoleHeadings[role])).to.deep.equal([user.username]);
    for (const role of orgRoles) await cf.ok('unset-org-role', user.username, org, role);
    const after = (await cf.ok('org-users', org)).output;
    for (const role of orgRoles) expect(usersUnder(after, orgRoleHeadings[role])).to.deep.equal([]);
  });

  it('cf set-space-role and unset-space-role for every space role, as cf space-users shows', async () => {
    const cf = await loggedIn(world(), world().admin);
    const { org, space } = await orgWithSpace(cf);
    const user = await world().newCertificateUser(unique('spacey'));
    for (const role of spaceRoles) await cf.ok('set-space-role', user.username, org, space, role);
    const twice = await cf.ok('set-space-role', user.username, org, space, 'SpaceAuditor');
    expect(linesOf(twice.output)).to.include(`User '${user.username}' already has role 'SpaceAuditor' in org '${org}' / space '${space}'.`);
    const listed = (await cf.ok('space-users', org, space)).output;
    for (const role of ['SpaceAuditor', 'SpaceSupporter'] as const)
      expect(usersUnder(listed, spaceRoleHeadings[role])).to.deep.equal([user.username]);
    for (const role of ['SpaceManager', 'SpaceDeveloper'] as const) {
      expect(usersUnder(listed, spaceRoleHeadings[role])).to.have.members([world().admin.username, user.username]);
    }
    // A space role makes the user an org user, which cf org-users does not list under a heading.
    for (const role of spaceRoles) await cf.ok('unset-space-role', user.username, org, space, role);
    const after = (await cf.ok('space-users', org, space)).output;
    for (const role of spaceRoles) expect(usersUnder(after, spaceRoleHeadings[role])).not.to.include(user.username);
  });

  for (const kind of ['certificate', 'token'] as const) {
    it(`a second user (${kind}) sees exactly their org and space, and gets the CLI's errors elsewhere`, async () => {
      const admin = await loggedIn(world(), world().admin);
      const mine = await orgWithSpace(admin);
      const theirs = await orgWithSpace(admin);
      const otherSpace = unique('space');
      await admin.ok('create-space', otherSpace, '-o', mine.org);
      const user: E2eUser =
        kind === 'certificate' ? await world().newCertificateUser(unique('alice')) : await world().newTokenUser(unique('tok'));

      const cf = await loggedIn(world(), user);
      const before = await cf.ok('orgs');
      expect(before.output).to.contain(`subject '${user.username.startsWith('system:serviceaccount:') ? 'ServiceAccount' : 'User'}/`);
      expect(before.output).to.contain('has no CF roles assigned');

      await admin.ok('set-space-role', user.username, mine.org, mine.space, 'SpaceDeveloper');
      const login = await cf.ok('login', '-a', world().apiUrl, '-u', user.kubeconfigUser);
      // Exactly one org and one space: the CLI targets both by itself.
      expect(linesOf(login.output)).to.include.members([`Targeted org ${mine.org}.`, `Targeted space ${mine.space}.`]);
      expect(tableColumn((await cf.ok('orgs')).stdout, 'name')).to.deep.equal([mine.org]);
      expect(tableColumn((await cf.ok('spaces')).stdout, 'name')).to.deep.equal([mine.space]);
      expect((await cf.fails('target', '-o', theirs.org)).output).to.contain(`Organization '${theirs.org}' not found.`);
      expect((await cf.fails('org', theirs.org)).output).to.contain(`Organization '${theirs.org}' not found.`);
      expect((await cf.fails('target', '-o', mine.org, '-s', otherSpace)).output).to.contain(`Space '${otherSpace}' not found.`);
      await cf.ok('target', '-o', mine.org, '-s', mine.space);
      expect((await cf.fails('create-org', unique('mine'))).output).to.contain(notAuthorized);
      expect((await cf.fails('rename-org', mine.org, unique('x'))).output).to.contain(notAuthorized);
      expect((await cf.fails('set-org-role', user.username, mine.org, 'OrgManager')).output).to.contain(notAuthorized);
      expect((await cf.fails('delete-org', '-f', mine.org)).output).to.contain(notAuthorized);

      await admin.ok('unset-space-role', user.username, mine.org, mine.space, 'SpaceDeveloper');
      expect((await cf.ok('spaces')).output).to.contain('No spaces found.');
      expect(tableColumn((await cf.ok('orgs')).stdout, 'name')).to.deep.equal([mine.org]); // the org role stays
    });
  }

  it('cf domains, create-shared-domain and delete-shared-domain -f', async () => {
    const cf = await loggedIn(world(), world().admin);
    const { org } = await orgWithSpace(cf);
    await cf.ok('target', '-o', org);
    const domain = `${unique('shared')}.example.com`;
    const created = await cf.ok('create-shared-domain', domain);
    expect(linesOf(created.output)).to.include.members([`Creating shared domain ${domain} as ${world().admin.username}...`, 'OK']);
    const domains = (await cf.ok('domains')).stdout;
    expect(tableColumn(domains, 'name')).to.include.members([world().defaultDomain, domain]);
    for (const name of [world().defaultDomain, domain]) {
      expect(linesOf(domains).find((line) => line.startsWith(`${name} `))).to.match(/^\S+\s+shared\s+http$/);
    }
    const deleted = await cf.ok('delete-shared-domain', '-f', domain);
    expect(linesOf(deleted.output)).to.include.members([`Deleting domain ${domain} as ${world().admin.username}...`, 'OK']);
    expect(tableColumn((await cf.ok('domains')).stdout, 'name')).not.to.include(domain);
  });

  it('cf delete-space -f and delete-org -f wait until the job is done; cf target to the deleted org fails', async () => {
    const admin = await loggedIn(world(), world().admin);
    const { org, space } = await orgWithSpace(admin);
    const user = await world().newCertificateUser(unique('bob'));
    await admin.ok('set-space-role', user.username, org, space, 'SpaceDeveloper');
    const cf = await loggedIn(world(), user);
    await cf.ok('target', '-o', org, '-s', space);

    const deletedSpace = await admin.ok('delete-space', '-f', space, '-o', org);
    expect(linesOf(deletedSpace.output)).to.include.members([
      `Deleting space ${space} in org ${org} as ${world().admin.username}...`,
      'OK',
    ]);
    expect(linesOf((await admin.ok('delete-space', '-f', space, '-o', org)).output)).to.include(`Space '${space}' does not exist.`);
    const deletedOrg = await admin.ok('delete-org', '-f', org);
    expect(linesOf(deletedOrg.output)).to.include.members([`Deleting org ${org} as ${world().admin.username}...`, 'OK']);
    expect(linesOf((await admin.ok('delete-org', '-f', org)).output)).to.include(`Org '${org}' does not exist.`);
    expect(tableColumn((await admin.ok('orgs')).stdout, 'name')).not.to.include(org);

    // The user still has the deleted org in their CLI config.
    expect((await cf.fails('target', '-o', org)).output).to.contain(`Organization '${org}' not found.`);
    expect((await cf.ok('orgs')).output).to.contain('No orgs found.');
  });

  it('cf curl /v3/info answers the info document', async () => {
    const cf = await loggedIn(world(), world().admin);
    const info = JSON.parse((await cf.ok('curl', '/v3/info')).stdout) as { name: string; cli_version: { minimum: string } };
    expect(info.name).to.equal('cf-k8s-api');
    expect(info.cli_version.minimum).to.equal('8.5.0');
  });
}
