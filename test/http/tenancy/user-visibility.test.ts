import { expect } from 'chai';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from './backends.ts';
import type { CfUser } from './cf-client.ts';
import { expectCfError, type ExpectedError } from './cf-errors.ts';
import type { AuthHeaders, ListOf, Organization, User } from './resources.ts';

/** Korifi's detail, which the cf CLI turns into its "user not found" error. */
const userNotFound: ExpectedError = { status: 404, code: 10010, title: 'CF-ResourceNotFound', detail: 'User not found' };

/**
 * Kubernetes has no user objects, so a user is only seen through role bindings: a caller sees
 * themselves and the holders of roles in the orgs and spaces they see; any other name is not found.
 */
forEachBackend('user visibility', (cf) => {
  let org: Organization;
  let foreignOrg: Organization;
  let member: CfUser;
  let outsider: CfUser;
  const colleague = uniqueName('colleague');
  const stranger = uniqueName('stranger');
  const ghost = uniqueName('ghost');
  before(async () => {
    [org, foreignOrg] = [await cf.createOrg(), await cf.createOrg()];
    [member, outsider] = [await cf.newUser('member'), await cf.newUser('outsider')];
    await cf.grant(member.name, 'organization_user', { organization: org.guid });
    await cf.grant(colleague, 'organization_auditor', { organization: org.guid });
    const space = await cf.createSpace(foreignOrg.guid);
    await cf.grant(stranger, 'organization_user', { organization: foreignOrg.guid });
    await cf.grant(stranger, 'space_developer', { space: space.guid });
  });

  const getUser = (guid: string, as?: AuthHeaders) => cf.get(`/v3/users/${encodeURIComponent(guid)}`, as);
  const listedGuids = async (query: string, as?: AuthHeaders) => {
    const response = await cf.get(`/v3/users${query}`, as);
    expect(response.status, response.text).to.equal(200);
    return (response.body as ListOf<User>).resources.map((user) => user.guid);
  };

  describe('GET /v3/users/{guid}', () => {
    it('does not find a name that holds no role', async () => {
      expectCfError(await getUser(ghost), userNotFound);
      expectCfError(await getUser(`system:serviceaccount:${uniqueName('ns')}:robot`), userNotFound);
    });

    it('shows callers themselves, even without any role', async () => {
      const response = await getUser(outsider.name, outsider.headers);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.include({ guid: outsider.name, username: outsider.name });
      expect((await getUser(cf.server.admin.name)).status).to.equal(200);
    });

    it('shows an org member the holders of roles in their org, and no one else', async () => {
      const response = await getUser(colleague, member.headers);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.include({ guid: colleague, username: colleague });
      expectCfError(await getUser(stranger, member.headers), userNotFound);
      expectCfError(await getUser(outsider.name, member.headers), userNotFound);
    });

    it('does not show a caller without roles anyone else', async () => {
      for (const name of [member.name, colleague, stranger]) expectCfError(await getUser(name, outsider.headers), userNotFound);
    });

    it('shows the admin every holder of a role', async () => {
      for (const name of [member.name, colleague, stranger]) expect((await getUser(name)).status, name).to.equal(200);
    });

    it('stops showing a user once their only role is gone', async () => {
      const leaver = uniqueName('leaver');
      const role = await cf.grant(leaver, 'organization_auditor', { organization: org.guid });
      expect((await getUser(leaver, member.headers)).status).to.equal(200);
      await cf.deleteAndWait(`/v3/roles/${role.guid}`, 'role.delete', role.guid);
      expectCfError(await getUser(leaver, member.headers), userNotFound);
    });
  });

  describe('GET /v3/users', () => {
    it('lists a caller without roles only themselves', async () => {
      expect(await listedGuids('?per_page=5000', outsider.headers)).to.deep.equal([outsider.name]);
    });

    it('selects by guids exactly the users that GET /v3/users/{guid} finds', async () => {
      for (const caller of [member, outsider]) {
        for (const name of [caller.name, member.name, colleague, stranger, ghost]) {
          const found = (await getUser(name, caller.headers)).status === 200;
          expect(
            await listedGuids(`?guids=${encodeURIComponent(name)}`, caller.headers),
            `${caller.name} asking for ${name}`,
          ).to.deep.equal(found ? [name] : []);
        }
      }
    });

    it('still echoes any name asked for by usernames, as the cf CLI needs to grant a first role', async () => {
      expect(await listedGuids(`?usernames=${ghost}`, outsider.headers)).to.deep.equal([ghost]);
      expect(await listedGuids(`?usernames=${stranger}`, member.headers)).to.deep.equal([stranger]);
    });
  });
});
