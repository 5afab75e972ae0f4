import { expect } from 'chai';
import { authHeaders, startTestServer, type TestServer } from '../../support/test-server.ts';
import { uniqueName } from '../../store/fixture.ts';
import { roleBody, send, spaceBody, type Headers, type Request } from './world.ts';

/**
 * Callers whose org role may not read CFSpaces (org auditor, billing manager) but who hold a role in a
 * space of that org: the matrix's rows hold one role each, so these combinations live here. Such a
 * caller sees the space everywhere the list shows it (the one visibility rule), and may still not change
 * it (RBAC).
 */
const combinations = [
  { org: 'organization_auditor', space: 'space_developer' },
  { org: 'organization_billing_manager', space: 'space_manager' },
] as const;

for (const backend of ['embedded', 'kubernetes'] as const) {
  describe(`authorization with an org role and a space role on ${backend}`, function () {
    this.timeout(120_000);
    let server: TestServer | undefined;
    let world: { org: string; seen: string; unseen: string; callers: Headers[] } | undefined;

    const as = async (headers: Headers, request: Request, status: number) => {
      if (!server) throw new Error('the server did not start');
      const response = await send(server, headers, request);
      expect(response.status, `${request.method ?? 'GET'} ${request.path}: ${response.text}`).to.equal(status);
      return response.body as Record<string, unknown>;
    };

    before(async function () {
      this.timeout(600_000);
      server = await startTestServer({ backend });
      const admin = authHeaders.forUser(server.admin);
      const create = async (path: string, body: unknown) =>
        ((await as(admin, { method: 'POST', path, body }, 201)) as { guid: string }).guid;
      const org = await create('/v3/organizations', { name: uniqueName('mixed-org') });
      const [seen, unseen] = await Promise.all([
        create('/v3/spaces', spaceBody('seen', org)),
        create('/v3/spaces', spaceBody('unseen', org)),
      ]);
      const callers: Headers[] = [];
      for (const roles of combinations) {
        const user = await server.newUser(uniqueName('mixed-user'));
        await create('/v3/roles', roleBody(roles.org, user.name, org));
        await create('/v3/roles', roleBody(roles.space, user.name, seen));
        callers.push(authHeaders.forUser(user));
      }
      world = { org, seen, unseen, callers };
    });

    after(() => server?.stop());

    combinations.forEach((roles, index) => {
      const caller = () => {
        if (!world) throw new Error('the world was not built');
        return { world, headers: world.callers[index] ?? {} };
      };

      it(`${roles.org} + ${roles.space}: the space the list shows can be read, with its org included`, async () => {
        const { world, headers } = caller();
        const list = (await as(headers, { path: '/v3/spaces' }, 200)) as { resources: { guid: string }[] };
        expect(list.resources.map((space) => space.guid)).to.deep.equal([world.seen]);
        const space = (await as(headers, { path: `/v3/spaces/${world.seen}?include=organization` }, 200)) as {
          guid: string;
          included: { organizations: { guid: string }[] };
        };
        expect(space.guid).to.equal(world.seen);
        expect(space.included.organizations.map((org) => org.guid)).to.deep.equal([world.org]);
        await as(headers, { path: `/v3/spaces/${world.seen}/features/ssh` }, 200);
        await as(headers, { path: `/v3/spaces/${world.seen}/relationships/isolation_segment` }, 200);
      });

      it(`${roles.org} + ${roles.space}: the other space of the org stays hidden, and the seen one cannot be changed`, async () => {
        const { world, headers } = caller();
        await as(headers, { path: `/v3/spaces/${world.unseen}` }, 404);
        await as(headers, { method: 'PATCH', path: `/v3/spaces/${world.seen}`, body: { metadata: { labels: { touched: 'yes' } } } }, 403);
      });
    });
  });
}
