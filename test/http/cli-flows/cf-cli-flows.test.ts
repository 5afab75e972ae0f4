import { expect } from 'chai';
import { uniqueName } from '../../store/fixture.ts';
import type { UserCredentials } from '../../support/test-server.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import { CfCliModel } from './cf-cli-model.ts';

/**
 * The cf CLI session, command by command, as the CLI's requests (see CfCliModel): an admin sets
 * up two orgs and gives a second user roles in one of them; that user sees exactly their org and space.
 */
forEachBackend('cf CLI flows', (cf) => {
  const names = { org: uniqueName('org'), other: uniqueName('other-org'), space: uniqueName('dev'), otherSpace: uniqueName('qa') };
  let admin: CfCliModel;
  let alice: UserCredentials;
  let asAlice: CfCliModel;

  before(async () => {
    admin = new CfCliModel(cf.server, cf.server.admin);
    alice = await cf.server.newUser(uniqueName('alice'));
    asAlice = new CfCliModel(cf.server, alice);
  });

  it('cf create-org creates, and succeeds again for a name that exists (in any letter case)', async () => {
    expect(await admin.createOrg(names.org)).to.equal('created');
    expect(await admin.createOrg(names.org.toUpperCase())).to.equal('already exists');
    expect(await admin.createOrg(names.other)).to.equal('created');
  });

  it('cf create-space creates the space and makes the admin its manager and developer', async () => {
    expect(await admin.createSpace(names.space, names.org)).to.equal('created');
    expect(await admin.createSpace(names.otherSpace, names.org)).to.equal('created');
    expect(await admin.createSpace(names.space, names.org)).to.equal('already exists');
    const users = await admin.spaceUsers(names.org, names.space);
    expect(users['space_manager']).to.include(cf.server.admin.name);
    expect(users['space_developer']).to.include(cf.server.admin.name);
  });

  it('cf orgs, cf org, cf spaces and cf domains show the admin everything', async () => {
    expect(await admin.orgs()).to.include.members([names.org, names.other]);
    const org = await admin.org(names.org);
    expect(org.spaces).to.deep.equal([names.space, names.otherSpace].sort());
    expect(org.domains).to.include(cf.server.config.defaultDomain);
    expect(await admin.spaces(names.org)).to.deep.equal([names.space, names.otherSpace].sort());
    expect(await admin.domains(names.org)).to.deep.include({ [cf.server.config.defaultDomain]: 'shared' });
  });

  it('a user without roles is warned and sees no orgs', async () => {
    expect(await asAlice.orgs()).to.deep.equal([]);
    expect(asAlice.warnings.join('\n')).to.contain(`subject 'User/${alice.name}' has no CF roles assigned`);
  });

  it('cf set-space-role gives the org_user role first, and is idempotent with a warning', async () => {
    expect(await admin.setSpaceRole(alice.name, names.org, names.space, 'space_developer')).to.equal('granted');
    expect(await admin.setSpaceRole(alice.name, names.org, names.space, 'space_developer')).to.equal('already held');
    expect(admin.warnings).to.include(`User '${alice.name}' already has 'space_developer' role`);
    expect(await admin.setOrgRole(alice.name, names.org, 'organization_auditor')).to.equal('granted');
  });

  it('cf org-users and cf space-users list the user under their roles', async () => {
    const orgUsers = await admin.orgUsers(names.org);
    expect(orgUsers['organization_user']).to.include(alice.name);
    expect(orgUsers['organization_auditor']).to.deep.equal([alice.name]);
    expect((await admin.spaceUsers(names.org, names.space))['space_developer']).to.include(alice.name);
  });

  it('the user sees exactly their org and space (cf orgs, cf spaces, cf target)', async () => {
    expect(await asAlice.orgs()).to.deep.equal([names.org]);
    expect(await asAlice.spaces(names.org)).to.deep.equal([names.space]);
    expect(await asAlice.spaceGuid(names.space, names.org)).to.be.a('string');
    await expectFailure(asAlice.spaceGuid(names.otherSpace, names.org), `Space '${names.otherSpace}' not found.`);
    await expectFailure(asAlice.org(names.other), `Organization '${names.other}' not found.`);
  });

  it('the user may not create orgs or spaces, or change roles', async () => {
    await expectFailure(asAlice.createOrg(uniqueName('mine')), 'unexpected 403');
    await expectFailure(asAlice.createSpace(uniqueName('mine'), names.org), 'unexpected 403');
    await expectFailure(asAlice.setOrgRole(alice.name, names.org, 'organization_manager'), 'unexpected 403');
  });

  it('cf unset-space-role takes the role away, and the space disappears for the user', async () => {
    await admin.unsetSpaceRole(alice.name, names.org, names.space, 'space_developer');
    expect((await admin.spaceUsers(names.org, names.space))['space_developer'] ?? []).not.to.include(alice.name);
    expect(await asAlice.spaces(names.org)).to.deep.equal([]);
    expect(await asAlice.orgs()).to.deep.equal([names.org]); // the org roles stay
  });

  it('cf delete-space -f and cf delete-org -f wait for their jobs; a second delete-org finds nothing', async () => {
    await admin.deleteSpace(names.otherSpace, names.org);
    expect(await admin.spaces(names.org)).to.deep.equal([names.space]);
    expect(await admin.deleteOrg(names.org)).to.equal('deleted');
    expect(await admin.deleteOrg(names.org)).to.equal('did not exist');
    expect(await admin.orgs()).not.to.include(names.org);
    expect(await asAlice.orgs()).to.deep.equal([]);
    expect(await admin.deleteOrg(names.other)).to.equal('deleted');
  });
});

async function expectFailure(command: Promise<unknown>, message: string): Promise<void> {
  let failure: unknown;
  await command.catch((error: unknown) => {
    failure = error;
  });
  expect(failure, `expected the command to fail with "${message}"`).to.be.instanceOf(Error);
  expect((failure as Error).message).to.contain(message);
}
