import { expect } from 'chai';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from './backends.ts';
import { roleRequest } from './cf-client.ts';
import { cfError, expectCfError } from './cf-errors.ts';
import type { ListOf, Organization, Role, Space, User } from './resources.ts';
import { bindingsOf, timestampPattern, uuidPattern } from './store-lookups.ts';

const roleNotFound = cfError.notFound('Role');
const unknownGuid = '00000000-0000-4000-8000-000000000000';
const needsOrgRole = cfError.unprocessable(
  "Users cannot be assigned roles in a space if they do not have a role in that space's organization.",
);

forEachBackend('roles', (cf) => {
  let org: Organization;
  let space: Space;
  before(async () => {
    org = await cf.createOrg();
    space = await cf.createSpace(org.guid);
  });

  const listRoles = async (query: string) => {
    const response = await cf.get(`/v3/roles${query}`);
    expect(response.status, response.text).to.equal(200);
    return response.body as ListOf<Role>;
  };

  describe('POST /v3/roles', () => {
    it('gives a user an org role by username', async () => {
      const userName = uniqueName('alice');
      const response = await cf.post('/v3/roles', roleRequest('organization_auditor', { username: userName }, { organization: org.guid }));
      expect(response.status, response.text).to.equal(201);
      const role = response.body as Role;
      expect(role.guid).to.match(uuidPattern);
      expect(role.created_at).to.match(timestampPattern);
      expect(role).to.deep.include({
        type: 'organization_auditor',
        relationships: { user: { data: { guid: userName } }, organization: { data: { guid: org.guid } }, space: { data: null } },
        links: {
          self: { href: cf.url(`/v3/roles/${role.guid}`) },
          user: { href: cf.url(`/v3/users/${userName}`) },
          organization: { href: cf.url(`/v3/organizations/${org.guid}`) },
        },
      });
    });

    it('gives a user an org role by guid', async () => {
      const userName = uniqueName('bob');
      const response = await cf.post('/v3/roles', roleRequest('organization_manager', { guid: userName }, { organization: org.guid }));
      expect(response.status, response.text).to.equal(201);
      expect((response.body as Role).relationships.user).to.deep.equal({ data: { guid: userName } });
    });

    it('binds the role in the org namespace, labelled with its GUID, and binds cf_user in the root namespace', async () => {
      const userName = uniqueName('carol');
      const role = await cf.grant(userName, 'organization_user', { organization: org.guid });
      const [binding, ...others] = await bindingsOf(cf.server, org.guid, userName);
      expect(others).to.deep.equal([]);
      expect(binding?.metadata.labels?.['cloudfoundry.org/role-guid']).to.equal(role.guid);
      expect(binding?.roleRef).to.deep.equal({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'korifi-controllers-organization-user',
      });
      expect(binding?.subjects).to.deep.equal([{ kind: 'User', name: userName, apiGroup: 'rbac.authorization.k8s.io' }]);
      const rootBindings = await bindingsOf(cf.server, cf.server.config.rootNamespace, userName);
      expect(rootBindings.map((rootBinding) => rootBinding.roleRef.name)).to.deep.equal(['korifi-controllers-root-namespace-user']);
    });

    it('gives a space role only to a user with a role in the org', async () => {
      const userName = uniqueName('dave');
      expectCfError(
        await cf.post('/v3/roles', roleRequest('space_developer', { username: userName }, { space: space.guid })),
        needsOrgRole,
      );
      await cf.grant(userName, 'organization_user', { organization: org.guid });
      const role = await cf.grant(userName, 'space_developer', { space: space.guid });
      expect(role).to.deep.include({
        type: 'space_developer',
        relationships: { user: { data: { guid: userName } }, organization: { data: null }, space: { data: { guid: space.guid } } },
        links: {
          self: { href: cf.url(`/v3/roles/${role.guid}`) },
          user: { href: cf.url(`/v3/users/${userName}`) },
          space: { href: cf.url(`/v3/spaces/${space.guid}`) },
        },
      });
      const [binding] = await bindingsOf(cf.server, space.guid, userName);
      expect(binding?.metadata.labels?.['cloudfoundry.org/role-guid']).to.equal(role.guid);
      expect(binding?.roleRef.name).to.equal('korifi-controllers-space-developer');
    });

    it('names the user origin:username when an origin is given', async () => {
      const userName = uniqueName('oscar');
      const request = roleRequest('organization_user', { username: userName }, { organization: org.guid });
      const withOrigin = {
        ...request,
        relationships: { ...request.relationships, user: { data: { username: userName, origin: 'ldap' } } },
      };
      const response = await cf.post('/v3/roles', withOrigin);
      expect(response.status, response.text).to.equal(201);
      expect((response.body as Role).relationships.user).to.deep.equal({ data: { guid: `ldap:${userName}` } });
    });

    it('needs the relationship that matches the level of the type', async () => {
      const userName = uniqueName('pia');
      expectCfError(
        await cf.post('/v3/roles', roleRequest('organization_user', { username: userName }, { space: space.guid })),
        cfError.unprocessable('relationships.organization is required for an organization role'),
      );
      expectCfError(
        await cf.post('/v3/roles', roleRequest('space_developer', { username: userName }, { organization: org.guid })),
        cfError.unprocessable('relationships.space is required for a space role'),
      );
    });

    it('does not count a role in another org for a space role', async () => {
      const userName = uniqueName('quinn');
      await cf.grant(userName, 'organization_manager', { organization: (await cf.createOrg()).guid });
      expectCfError(await cf.post('/v3/roles', roleRequest('space_auditor', { username: userName }, { space: space.guid })), needsOrgRole);
    });

    it('refuses a role the user already holds', async () => {
      const userName = uniqueName('erin');
      await cf.grant(userName, 'organization_user', { organization: org.guid });
      const again = await cf.post('/v3/roles', roleRequest('organization_user', { username: userName }, { organization: org.guid }));
      expectCfError(again, cfError.unprocessable(`User '${userName}' already has 'organization_user' role`));
    });

    it('refuses both an organization and a space', async () => {
      const request = roleRequest('organization_user', { username: uniqueName('frank') }, { organization: org.guid });
      const both = { ...request, relationships: { ...request.relationships, space: { data: { guid: space.guid } } } };
      expectCfError(
        await cf.post('/v3/roles', both),
        cfError.unprocessable("cannot pass both 'organization' and 'space' in a create role request"),
      );
    });

    it('refuses a space or an org that cannot be seen', async () => {
      const userName = uniqueName('gina');
      expectCfError(
        await cf.post('/v3/roles', roleRequest('space_manager', { username: userName }, { space: unknownGuid })),
        cfError.unprocessable('Invalid space. Ensure that the space exists and you have access to it.'),
      );
      expectCfError(
        await cf.post('/v3/roles', roleRequest('organization_user', { username: userName }, { organization: unknownGuid })),
        cfError.unprocessable('Invalid organization. Ensure the organization exists and you have access to it.'),
      );
    });

    it('refuses an unknown type and a user with neither guid nor username', async () => {
      const badType = { type: 'space_owner', relationships: { user: { data: { username: 'x' } }, space: { data: { guid: space.guid } } } };
      expectCfError(
        await cf.post('/v3/roles', badType),
        cfError.unprocessable(
          'type value must be one of: organization_user, organization_auditor, organization_manager, organization_billing_manager, ' +
            'space_auditor, space_developer, space_manager, space_supporter',
        ),
      );
      const noUser = { type: 'organization_user', relationships: { user: { data: {} }, organization: { data: { guid: org.guid } } } };
      expectCfError(
        await cf.post('/v3/roles', noUser),
        cfError.unprocessable('relationships.user.data.guid cannot be blank, relationships.user.data.username cannot be blank'),
      );
    });

    it('refuses an org user giving roles', async () => {
      const orgUser = await cf.newUser('orguser');
      await cf.grant(orgUser.name, 'organization_user', { organization: org.guid });
      const response = await cf.post(
        '/v3/roles',
        roleRequest('organization_user', { username: uniqueName('henry') }, { organization: org.guid }),
        orgUser.headers,
      );
      expectCfError(response, cfError.notAuthorized());
    });
  });

  describe('GET /v3/roles', () => {
    let userName: string;
    let orgRole: Role;
    let spaceRole: Role;
    before(async () => {
      userName = uniqueName('ivy');
      orgRole = await cf.grant(userName, 'organization_manager', { organization: org.guid });
      spaceRole = await cf.grant(userName, 'space_auditor', { space: space.guid });
    });

    it('filters by user_guids, types, organization_guids, space_guids and guids', async () => {
      expect(guidsOf(await listRoles(`?user_guids=${userName}`))).to.have.members([orgRole.guid, spaceRole.guid]);
      expect(guidsOf(await listRoles(`?user_guids=${userName}&types=space_auditor`))).to.deep.equal([spaceRole.guid]);
      const orgRoles = await listRoles(`?organization_guids=${org.guid}`);
      expect(guidsOf(orgRoles)).to.include(orgRole.guid).and.not.include(spaceRole.guid);
      expect(orgRoles.resources.every((role) => role.relationships.organization.data?.guid === org.guid)).to.equal(true);
      const spaceRoles = await listRoles(`?space_guids=${space.guid}`);
      expect(guidsOf(spaceRoles)).to.include(spaceRole.guid).and.not.include(orgRole.guid);
      expect(guidsOf(await listRoles(`?guids=${orgRole.guid}`))).to.deep.equal([orgRole.guid]);
      expect(guidsOf(await listRoles(`?guids=${unknownGuid}`))).to.deep.equal([]);
    });

    it('includes the users, spaces and organizations of the page', async () => {
      const page = await listRoles(`?user_guids=${userName}&include=user,space,organization`);
      expect(page.included?.users?.map((user: User) => user.guid)).to.deep.equal([userName]);
      expect(page.included?.spaces?.map((included) => included.guid)).to.deep.equal([space.guid]);
      expect(page.included?.organizations?.map((included) => included.guid)).to.deep.equal([org.guid]);
      const onlyUsers = await listRoles(`?user_guids=${userName}&include=user`);
      expect(onlyUsers.included).to.have.keys(['users']);
    });

    it('orders by created_at and -created_at', async () => {
      const ascending = guidsOf(await listRoles(`?order_by=created_at&user_guids=${userName}`));
      const descending = guidsOf(await listRoles(`?order_by=-created_at&user_guids=${userName}`));
      expect(ascending).to.have.members([orgRole.guid, spaceRole.guid]);
      expect(descending).to.have.members([orgRole.guid, spaceRole.guid]);
      if (orgRole.created_at !== spaceRole.created_at) {
        expect(ascending).to.deep.equal([orgRole.guid, spaceRole.guid]);
        expect(descending).to.deep.equal([spaceRole.guid, orgRole.guid]);
      }
    });

    it('refuses an unknown type or include', async () => {
      const include = await cf.get('/v3/roles?include=app');
      expectCfError(include, cfError.unprocessable('include[0] value must be one of: user, space, organization'));
      expect((await cf.get('/v3/roles?types=admin')).status).to.equal(422);
    });

    it('shows a user without roles none', async () => {
      const user = await cf.newUser('nobody');
      const response = await cf.get('/v3/roles', user.headers);
      expect(response.status, response.text).to.equal(200);
      expect((response.body as ListOf<Role>).resources).to.deep.equal([]);
    });

    it('does not list the admin role or the cf_user roles', async () => {
      const types = (await listRoles('?per_page=5000')).resources.map((role) => role.type);
      expect(types.every((type) => type.startsWith('organization_') || type.startsWith('space_'))).to.equal(true);
    });
  });

  describe('GET /v3/roles/{guid}', () => {
    it('gets a role', async () => {
      const created = await cf.grant(uniqueName('jack'), 'organization_billing_manager', { organization: org.guid });
      const response = await cf.get(`/v3/roles/${created.guid}`);
      expect(response.status, response.text).to.equal(200);
      expect(response.body).to.deep.equal(created);
    });

    it('answers 404 for an unknown role', async () => {
      expectCfError(await cf.get(`/v3/roles/${unknownGuid}`), roleNotFound);
    });
  });

  describe('DELETE /v3/roles/{guid}', () => {
    it('takes the role away', async () => {
      const userName = uniqueName('kate');
      const role = await cf.grant(userName, 'organization_user', { organization: org.guid });
      const { job } = await cf.deleteAndWait(`/v3/roles/${role.guid}`, 'role.delete', role.guid);
      expect(job).to.deep.include({ guid: `role.delete~${role.guid}`, operation: 'role.delete', state: 'COMPLETE', errors: [] });
      expect((await listRoles(`?user_guids=${userName}`)).resources).to.deep.equal([]);
      expectCfError(await cf.get(`/v3/roles/${role.guid}`), roleNotFound);
      expect(await bindingsOf(cf.server, org.guid, userName)).to.deep.equal([]);
    });

    it('keeps the root-namespace cf_user binding', async () => {
      const userName = uniqueName('rita');
      const role = await cf.grant(userName, 'organization_user', { organization: org.guid });
      await cf.deleteAndWait(`/v3/roles/${role.guid}`, 'role.delete', role.guid);
      const rootBindings = await bindingsOf(cf.server, cf.server.config.rootNamespace, userName);
      expect(rootBindings.map((binding) => binding.roleRef.name)).to.deep.equal(['korifi-controllers-root-namespace-user']);
    });

    it('lets an org manager take a role in their org away, but not an org user', async () => {
      const manager = await cf.newUser('manager');
      await cf.grant(manager.name, 'organization_manager', { organization: org.guid });
      const orgUser = await cf.newUser('orguser');
      const role = await cf.grant(orgUser.name, 'organization_user', { organization: org.guid });
      const other = await cf.grant(uniqueName('sam'), 'organization_auditor', { organization: org.guid });
      expectCfError(await cf.delete(`/v3/roles/${other.guid}`, orgUser.headers), cfError.notAuthorized());
      const deleted = await cf.delete(`/v3/roles/${role.guid}`, manager.headers);
      expect(deleted.status, deleted.text).to.equal(202);
      expect((await cf.pollJob(deleted.headers.get('location') ?? '', manager.headers)).job.state).to.equal('COMPLETE');
      expectCfError(await cf.get(`/v3/roles/${role.guid}`), roleNotFound);
    });

    it('answers 404 for an unknown role', async () => {
      expectCfError(await cf.delete(`/v3/roles/${unknownGuid}`), roleNotFound);
    });

    it('follows the cf CLI unset-space-role flow', async () => {
      const userName = uniqueName('liam');
      await cf.grant(userName, 'organization_user', { organization: org.guid });
      const role = await cf.grant(userName, 'space_manager', { space: space.guid });
      const users = await cf.get(`/v3/users?usernames=${userName}`);
      expect(users.status, users.text).to.equal(200);
      const [user] = (users.body as ListOf<User>).resources;
      expect(user?.guid).to.equal(userName);
      const lookup = await listRoles(`?page=1&per_page=1&space_guids=${space.guid}&types=space_manager&user_guids=${user?.guid ?? ''}`);
      expect(guidsOf(lookup)).to.deep.equal([role.guid]);
      const deleted = await cf.delete(`/v3/roles/${role.guid}`);
      expect(deleted.status, deleted.text).to.equal(202);
      expect((await cf.pollJob(deleted.headers.get('location') ?? '')).job.state).to.equal('COMPLETE');
      expect((await listRoles(`?space_guids=${space.guid}&types=space_manager&user_guids=${userName}`)).resources).to.deep.equal([]);
    });

    it('follows the cf CLI unset-org-role flow', async () => {
      const userName = uniqueName('mia');
      const role = await cf.grant(userName, 'organization_auditor', { organization: org.guid });
      const lookup = await listRoles(`?organization_guids=${org.guid}&page=1&per_page=1&types=organization_auditor&user_guids=${userName}`);
      expect(guidsOf(lookup)).to.deep.equal([role.guid]);
      expect((await cf.deleteAndWait(`/v3/roles/${role.guid}`, 'role.delete', role.guid)).job.state).to.equal('COMPLETE');
    });
  });
});

const guidsOf = (page: ListOf<Role>) => page.resources.map((role) => role.guid);
