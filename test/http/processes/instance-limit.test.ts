import { expect } from 'chai';
import { eventually, uniqueName } from '../../store/fixture.ts';
import { postManifest } from '../manifests/manifest-requests.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf, Space } from '../tenancy/resources.ts';
import { appWithProcesses, stats, storedProcess, type App, type Process } from './process-fixtures.ts';

const limit = 3;
const overLimit = `instances must be less than or equal to ${limit}`;
const appName = () => uniqueName('lim').replaceAll('_', '-').toLowerCase();

/**
 * `limits.instancesPerProcess` (3 here): a scale or a manifest asking for more instances is a 422 and
 * changes nothing; up to the limit is accepted. A count stored past the API (as another client of the
 * store could write it) runs and presents no more than the limit.
 */
forEachBackend(
  'the instance limit of a process',
  (cf) => {
    let space: Space;
    let manager: CfUser;

    before(async () => {
      const org = await cf.createOrg();
      space = await cf.createSpace(org.guid);
      manager = await cf.newUser('manager');
      await cf.grant(manager.name, 'organization_user', { organization: org.guid });
      await cf.grant(manager.name, 'space_manager', { space: space.guid });
    });

    const processNow = async (guid: string): Promise<Process> => {
      const response = await cf.get(`/v3/processes/${guid}`);
      expect(response.status, response.text).to.equal(200);
      return response.body as Process;
    };

    const appNamed = async (name: string): Promise<App | undefined> =>
      ((await cf.get(`/v3/apps?names=${name}&space_guids=${space.guid}`)).body as ListOf<App>).resources[0];

    describe('scaling', () => {
      it('refuses more than the limit on both scale paths with a 422, leaving the process as it was', async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid);
        const web = processes.find((process) => process.type === 'web')!;
        const before = await storedProcess(cf, web, space.guid);
        for (const instances of [limit + 1, 2_147_483_647]) {
          expectCfError(
            await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances, memory_in_mb: 64 }),
            cfError.unprocessable(overLimit),
          );
          expectCfError(
            await cf.post(`/v3/apps/${app.guid}/processes/web/actions/scale`, { instances, disk_in_mb: 64 }),
            cfError.unprocessable(overLimit),
          );
        }
        const after = await processNow(web.guid);
        // Nothing of the refused scales was written, the memory and disk that came with them neither.
        expect([after.instances, after.memory_in_mb, after.disk_in_mb]).to.deep.equal([1, 1024, 1024]);
        const stored = await storedProcess(cf, web, space.guid);
        expect(stored.spec).to.deep.equal(before.spec);
        expect(stored.metadata.generation).to.equal(before.metadata.generation);
      });

      it('accepts the limit itself, and every stats entry is there', async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid);
        const web = processes.find((process) => process.type === 'web')!;
        const scaled = await cf.post(`/v3/apps/${app.guid}/processes/web/actions/scale`, { instances: limit });
        expect(scaled.status, scaled.text).to.equal(200);
        expect((scaled.body as Process).instances).to.equal(limit);
        expect((await processNow(web.guid)).instances).to.equal(limit);
        expect((await stats(cf, web.guid)).map((entry) => entry.index)).to.deep.equal([0, 1, 2]);
      });

      it('answers a caller who may not scale with 403, whatever the count', async () => {
        const { processes } = await appWithProcesses(cf, space.guid);
        const web = processes.find((process) => process.type === 'web')!;
        expectCfError(
          await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: limit + 1 }, manager.headers),
          cfError.notAuthorized(),
        );
      });
    });

    describe('manifests', () => {
      it('refuses an app-level or a process count over the limit, naming each, before anything is written', async () => {
        const name = appName();
        const manifest = {
          applications: [
            { name: appName() },
            {
              name,
              instances: limit + 1,
              env: { APPLIED: 'yes' },
              processes: [
                { type: 'worker', instances: limit },
                { type: 'clock', instances: 2_147_483_647 },
              ],
            },
          ],
        };
        const detail = [
          `applications[1].instances must be less than or equal to ${limit}`,
          `applications[1].processes[1].instances must be less than or equal to ${limit}`,
        ].join(', ');
        expectCfError(await postManifest(cf, space.guid, manifest), cfError.unprocessable(detail));
        expectCfError(await postManifest(cf, space.guid, manifest, { action: 'manifest_diff' }), cfError.unprocessable(detail));
        expect(await appNamed(name)).to.equal(undefined);
        expect(await appNamed(manifest.applications[0]!.name)).to.equal(undefined);
      });

      it("leaves an existing app's processes and variables alone when a web entry asks for too many", async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid);
        const web = processes.find((process) => process.type === 'web')!;
        const manifest = {
          applications: [{ name: app.name, env: { APPLIED: 'yes' }, processes: [{ type: 'web', instances: limit + 1 }] }],
        };
        expectCfError(
          await postManifest(cf, space.guid, manifest),
          cfError.unprocessable(`applications[0].processes[0].instances must be less than or equal to ${limit}`),
        );
        expect((await processNow(web.guid)).instances).to.equal(1);
        const env = await cf.get(`/v3/apps/${app.guid}/environment_variables`);
        expect((env.body as { var: Record<string, string> }).var).to.not.have.property('APPLIED');
      });

      it('applies counts at the limit', async () => {
        const name = appName();
        const response = await postManifest(cf, space.guid, {
          applications: [{ name, instances: limit, processes: [{ type: 'worker', instances: limit }] }],
        });
        expect(response.status, response.text).to.equal(202);
        const app = await eventually(async () => {
          const found = await appNamed(name);
          expect(found).to.not.equal(undefined);
          return found!;
        });
        const counts = await eventually(async () => {
          const list = await cf.get(`/v3/apps/${app.guid}/processes`);
          const byType = Object.fromEntries((list.body as ListOf<Process>).resources.map((process) => [process.type, process.instances]));
          expect(byType).to.have.keys('web', 'worker');
          return byType;
        });
        expect(counts).to.deep.equal({ web: limit, worker: limit });
      });
    });

    describe('a count stored past the API', () => {
      it('runs and presents no more instances than the limit', async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid);
        const web = processes.find((process) => process.type === 'web')!;
        const started = await cf.post(`/v3/apps/${app.guid}/actions/start`, undefined);
        expect(started.status, started.text).to.equal(200);
        const ref = { kind: 'CFProcess' as const, namespace: space.guid, name: web.guid };
        await cf.server.store.privileged().patch(ref, { spec: { desiredInstances: 1_000_000 } });
        await eventually(async () => {
          const stored = await cf.server.store.privileged().get(ref);
          expect(stored.status?.actualInstances).to.equal(limit);
          const entries = await stats(cf, web.guid);
          expect(entries.map((entry) => [entry.index, entry.state])).to.deep.equal([
            [0, 'RUNNING'],
            [1, 'RUNNING'],
            [2, 'RUNNING'],
          ]);
        }, 20_000);
        expect((await processNow(web.guid)).instances).to.equal(1_000_000);
      });
    });
  },
  { config: { appRuntime: 'scripted', limits: { instancesPerProcess: limit } } },
);
