import { expect } from 'chai';
import type { components } from '../../../generated/openapi-types.ts';
import { eventually } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfClient } from '../tenancy/cf-client.ts';
import { expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf } from '../tenancy/resources.ts';
import { uuidPattern } from '../tenancy/store-lookups.ts';

type Buildpack = components['schemas']['Buildpack'];
type Stack = components['schemas']['Stack'];

const unavailable = (detail: string) => ({ status: 503, code: 10015, title: 'CF-ServiceUnavailable', detail });

async function listed<T>(cf: CfClient, path: string, as = cf.admin): Promise<T[]> {
  const response = await cf.get(path, as);
  expect(response.status, response.text).to.equal(200);
  return (response.body as ListOf<T>).resources;
}

forEachBackend(
  'buildpacks and stacks (from the BuilderInfo our build controller keeps)',
  (cf) => {
    it("lists the runtime's buildpacks in detection order, with Korifi's fields", async () => {
      const buildpacks = await eventually(async () => {
        const resources = await listed<Buildpack>(cf, '/v3/buildpacks');
        expect(resources).to.have.length(2);
        return resources;
      });
      expect(buildpacks.map((buildpack) => [buildpack.name, buildpack.stack, buildpack.position, buildpack.filename])).to.deep.equal([
        ['scripted_buildpack', 'cflinuxfs3', 1, 'scripted_buildpack@1.0.0'],
        ['scripted_buildpack', 'cflinuxfs4', 2, 'scripted_buildpack@1.0.0'],
      ]);
      expect(buildpacks[0]).to.deep.include({
        state: 'READY',
        lifecycle: 'buildpack',
        enabled: true,
        locked: false,
        metadata: { labels: {}, annotations: {} },
        links: {},
      });
      expect(buildpacks[0]?.guid).to.match(uuidPattern).and.not.equal(buildpacks[1]?.guid);
      const again = await listed<Buildpack>(cf, '/v3/buildpacks?order_by=-position');
      expect(again.map((buildpack) => [buildpack.guid, buildpack.position])).to.deep.equal([
        [buildpacks[1]?.guid, 2],
        [buildpacks[0]?.guid, 1],
      ]);
      expect(await listed(cf, '/v3/buildpacks?label_selector=team')).to.deep.equal([]);
      expect(await listed(cf, '/v3/buildpacks?label_selector=!team')).to.have.length(2);
    });

    it('lists the stacks, filtered by name', async () => {
      const stacks = await listed<Stack>(cf, '/v3/stacks?order_by=-name');
      expect(stacks.map((stack) => stack.name)).to.deep.equal(['cflinuxfs4', 'cflinuxfs3']);
      expect(stacks[0]?.links.self.href).to.equal(cf.url(`/v3/stacks/${stacks[0]?.guid}`));
      expect(stacks[0]?.description).to.be.a('string');
      expect((await listed<Stack>(cf, '/v3/stacks?names=cflinuxfs3')).map((stack) => stack.name)).to.deep.equal(['cflinuxfs3']);
    });

    it('shows any user with a CF role the lists, and a user with none empty ones (as domains)', async () => {
      const orgUser = await cf.newUser('org-user');
      await cf.grant(orgUser.name, 'organization_user', { organization: (await cf.createOrg()).guid });
      expect(await listed(cf, '/v3/stacks', orgUser.headers)).to.have.length(2);
      const nobody = await cf.newUser('nobody');
      expect(await listed(cf, '/v3/buildpacks', nobody.headers)).to.deep.equal([]);
      expect(await listed(cf, '/v3/stacks', nobody.headers)).to.deep.equal([]);
    });
  },
  { config: { appRuntime: 'scripted' } },
);

forEachBackend(
  "buildpacks and stacks where Korifi's builder keeps the BuilderInfo (no reconcilers here; builderName configured)",
  (cf) => {
    const builderName = 'korifi-kpack-builder';
    const ref = () => ({ kind: 'BuilderInfo' as const, namespace: cf.server.config.rootNamespace, name: builderName });

    it('answers 503 with what is missing while there is no BuilderInfo, and while it is not ready', async () => {
      const root = cf.server.config.rootNamespace;
      const missing = unavailable(
        `The builder "${builderName}" has not reported its buildpacks and stacks yet (no BuilderInfo "${builderName}" in namespace "${root}"). ` +
          'Check that the staging controller (Korifi, or this server with reconcilers enabled) is running.',
      );
      expectCfError(await cf.get('/v3/buildpacks'), missing);
      expectCfError(await cf.get('/v3/stacks'), missing);
      const store = cf.server.store.privileged();
      await store.create({ kind: 'BuilderInfo', metadata: { name: builderName, namespace: root } });
      expectCfError(await cf.get('/v3/stacks'), unavailable(`The builder "${builderName}" is not ready`));
      await store.patchStatus(ref(), {
        buildpacks: [],
        stacks: [],
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'BuilderNotReady',
            message: 'ClusterBuilder not ready',
            lastTransitionTime: '2026-01-01T00:00:00Z',
          },
        ],
      });
      expectCfError(await cf.get('/v3/buildpacks'), unavailable(`The builder "${builderName}" is not ready: ClusterBuilder not ready`));
    });

    it("lists what a Korifi builder reports once it is ready, Korifi's order kept", async () => {
      const timestamps = { creationTimestamp: '2026-01-02T03:04:05Z', updatedTimestamp: '2026-02-03T04:05:06Z' };
      await cf.server.store.privileged().patchStatus(ref(), {
        buildpacks: [
          { name: 'paketo-buildpacks/java', version: '10.0.0', stack: 'io.buildpacks.stacks.jammy', ...timestamps },
          { name: 'paketo-buildpacks/nodejs', version: '3.1.0', stack: 'io.buildpacks.stacks.jammy', ...timestamps },
        ],
        stacks: [{ name: 'io.buildpacks.stacks.jammy', description: 'Ubuntu 22.04', ...timestamps }],
        conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      });
      const buildpacks = await listed<Buildpack>(cf, '/v3/buildpacks');
      expect(buildpacks.map((buildpack) => [buildpack.filename, buildpack.position])).to.deep.equal([
        ['paketo-buildpacks/java@10.0.0', 1],
        ['paketo-buildpacks/nodejs@3.1.0', 2],
      ]);
      expect(buildpacks[0]).to.deep.include({ created_at: '2026-01-02T03:04:05Z', updated_at: '2026-02-03T04:05:06Z' });
      const stacks = await listed<Stack>(cf, '/v3/stacks');
      expect(stacks.map((stack) => [stack.name, stack.description])).to.deep.equal([['io.buildpacks.stacks.jammy', 'Ubuntu 22.04']]);
    });
  },
  { config: { reconcilers: false, builderName: 'korifi-kpack-builder' } },
);
