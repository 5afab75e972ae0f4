import { expect } from 'chai';
import { processGuidOf } from '../../../src/domain/processes/process-spec.ts';
import { eventually } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import type { ListOf, Organization, Space } from '../tenancy/resources.ts';
import { appWithProcesses, createApp, giveDroplet, processesOf, storedApp, storedProcess, type Process } from './process-fixtures.ts';

const unknownGuid = '00000000-0000-4000-8000-000000000000';
const hidden = '[PRIVATE DATA HIDDEN IN LISTS]';

forEachBackend(
  'processes',
  (cf) => {
    let org: Organization;
    let space: Space;
    let auditor: CfUser;
    let developer: CfUser;
    before(async () => {
      org = await cf.createOrg();
      space = await cf.createSpace(org.guid);
      auditor = await cf.newUser('auditor');
      developer = await cf.newUser('developer');
      for (const [user, role] of [
        [auditor, 'space_auditor'],
        [developer, 'space_developer'],
      ] as const) {
        await cf.grant(user.name, 'organization_user', { organization: org.guid });
        await cf.grant(user.name, role, { space: space.guid });
      }
    });

    describe('processes made by the app controller', () => {
      it('gives an app without a droplet no processes', async () => {
        const app = await createApp(cf, space.guid);
        const list = await cf.get(`/v3/apps/${app.guid}/processes`);
        expect(list.status, list.text).to.equal(200);
        expect((list.body as ListOf<Process>).resources).to.deep.equal([]);
        expectCfError(await cf.get(`/v3/apps/${app.guid}/processes/web`), cfError.notFound('Process'));
        expectCfError(await cf.get(`/v3/apps/${unknownGuid}/processes`), cfError.notFound('App'));
        const stored = await storedApp(cf, app);
        await eventually(async () => {
          const current = await storedApp(cf, app);
          const ready = current.status?.conditions?.find((condition) => condition.type === 'Ready');
          expect(ready).to.deep.include({ status: 'False', reason: 'DropletNotAssigned', observedGeneration: stored.metadata.generation });
          expect(current.status?.actualState).to.equal('STOPPED');
        });
      });

      it("makes one CFProcess per droplet process type, and web, with Korifi's names, defaults and owner", async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid, { processTypes: [{ type: 'worker', command: 'run-worker' }] });
        const stored = await storedApp(cf, app);
        const byType = new Map(processes.map((process) => [process.type, process]));
        expect([...byType.keys()].sort()).to.deep.equal(['web', 'worker']);
        for (const [type, instances, healthCheck] of [
          ['web', 1, 'port'],
          ['worker', 0, 'process'],
        ] as const) {
          const process = byType.get(type)!;
          expect(process.guid).to.equal(processGuidOf(app.guid, type));
          const cfProcess = await storedProcess(cf, process, space.guid);
          expect(cfProcess.spec).to.deep.equal({
            appRef: { name: app.guid },
            processType: type,
            detectedCommand: type === 'web' ? '' : 'run-worker',
            desiredInstances: instances,
            memoryMB: 1024,
            diskQuotaMB: 1024,
            healthCheck: { type: healthCheck, data: { timeoutSeconds: 60, invocationTimeoutSeconds: 0 } },
          });
          expect(cfProcess.metadata.labels).to.deep.include({
            'korifi.cloudfoundry.org/app-guid': app.guid,
            'korifi.cloudfoundry.org/process-type': type,
            'korifi.cloudfoundry.org/space-guid': space.guid,
          });
          expect(cfProcess.metadata.ownerReferences).to.deep.equal([
            {
              apiVersion: 'korifi.cloudfoundry.org/v1alpha1',
              kind: 'CFApp',
              name: app.guid,
              uid: stored.metadata.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ]);
        }
        await eventually(async () => {
          const current = await storedApp(cf, app);
          expect(current.status?.actualState).to.equal('STOPPED');
          const ready = current.status?.conditions?.find((condition) => condition.type === 'Ready');
          expect(ready).to.deep.include({ status: 'True', observedGeneration: current.metadata.generation });
        });
      });

      it('presents a process with its command, and hides commands in every list', async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid, {
          processTypes: [{ type: 'web', command: 'bundle exec rackup' }],
        });
        const web = processes[0]!;
        expect(web.command).to.equal(hidden);
        const response = await cf.get(`/v3/processes/${web.guid}`);
        expect(response.status, response.text).to.equal(200);
        const self = cf.url(`/v3/processes/${web.guid}`);
        expect(response.body).to.deep.include({
          guid: web.guid,
          type: 'web',
          command: 'bundle exec rackup',
          instances: 1,
          memory_in_mb: 1024,
          disk_in_mb: 1024,
          log_rate_limit_in_bytes_per_second: -1,
          health_check: { type: 'port', data: { timeout: 60, invocation_timeout: null } },
          relationships: { app: { data: { guid: app.guid } } },
          metadata: { labels: {}, annotations: {} },
          links: {
            self: { href: self },
            scale: { href: `${self}/actions/scale`, method: 'POST' },
            app: { href: cf.url(`/v3/apps/${app.guid}`) },
            space: { href: cf.url(`/v3/spaces/${space.guid}`) },
            stats: { href: `${self}/stats` },
          },
        });
        const byType = await cf.get(`/v3/apps/${app.guid}/processes/web`);
        expect(byType.body).to.deep.equal(response.body);
        for (const query of [`app_guids=${app.guid}`, `guids=${web.guid}`, `space_guids=${space.guid}&types=web&app_guids=${app.guid}`]) {
          const list = await cf.get(`/v3/processes?${query}`);
          expect(list.status, list.text).to.equal(200);
          const resources = (list.body as ListOf<Process>).resources;
          expect(
            resources.map((process) => [process.guid, process.command]),
            query,
          ).to.deep.equal([[web.guid, hidden]]);
        }
        const none = await cf.get(`/v3/processes?app_guids=${app.guid}&types=worker`);
        expect((none.body as ListOf<Process>).resources).to.deep.equal([]);
        expectCfError(await cf.get(`/v3/processes/${unknownGuid}`), cfError.notFound('Process'));
      });

      it("pages an app's processes and every process list, keeping the filters in the links", async () => {
        const { app } = await appWithProcesses(cf, space.guid, { processTypes: [{ type: 'worker', command: 'w' }] });
        for (const path of [`/v3/apps/${app.guid}/processes`, `/v3/processes?app_guids=${app.guid}`]) {
          const separator = path.includes('?') ? '&' : '?';
          const first = await cf.get(`${path}${separator}per_page=1&order_by=-created_at`);
          expect(first.status, first.text).to.equal(200);
          const page = first.body as ListOf<Process>;
          expect(page.pagination.total_results, path).to.equal(2);
          expect(page.pagination.total_pages).to.equal(2);
          expect(page.resources).to.have.length(1);
          expect(page.pagination.next?.href).to.include('page=2').and.to.include('per_page=1').and.to.include('order_by=-created_at');
          const second = await cf.get(page.pagination.next!.href.slice(cf.server.externalUrl.length));
          const seen = [...page.resources, ...(second.body as ListOf<Process>).resources].map((process) => process.type);
          expect(seen.sort()).to.deep.equal(['web', 'worker']);
        }
        expect((await cf.get(`/v3/apps/${app.guid}/processes?order_by=name`)).status).to.equal(422);
      });

      it('keeps what users changed when a later droplet comes, and updates the detected command', async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid);
        const web = processes[0]!;
        const scaled = await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: 3, memory_in_mb: 256 });
        expect(scaled.status, scaled.text).to.equal(200);
        const updated = await cf.patch(`/v3/processes/${web.guid}`, { command: 'my-own-command' });
        expect(updated.status, updated.text).to.equal(200);
        await giveDroplet(cf, app, [{ type: 'web', command: 'run-web-2' }]);
        await eventually(async () => {
          const cfProcess = await storedProcess(cf, web, space.guid);
          expect(cfProcess.spec).to.deep.include({
            detectedCommand: 'run-web-2',
            command: 'my-own-command',
            desiredInstances: 3,
            memoryMB: 256,
          });
        });
        const reverted = await cf.patch(`/v3/processes/${web.guid}`, { command: null });
        expect((reverted.body as Process).command).to.equal('run-web-2');
      });

      it('shows a space auditor no processes (Korifi gives auditors no CFProcess reads), a developer all', async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid);
        const web = processes[0]!;
        const list = await cf.get(`/v3/apps/${app.guid}/processes`, auditor.headers);
        expect((list.body as ListOf<Process>).resources).to.deep.equal([]);
        expectCfError(await cf.get(`/v3/processes/${web.guid}`, auditor.headers), cfError.notFound('Process'));
        expectCfError(
          await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: 2 }, auditor.headers),
          cfError.notFound('Process'),
        );
        await processesOf(cf, app.guid, 1, developer.headers);
        const scaled = await cf.post(`/v3/apps/${app.guid}/processes/web/actions/scale`, { instances: 2 }, developer.headers);
        expect(scaled.status, scaled.text).to.equal(200);
        const outsider = await cf.newUser('outsider');
        expectCfError(await cf.get(`/v3/apps/${app.guid}/processes`, outsider.headers), cfError.notFound('App'));
      });
    });

    describe('scale and update', () => {
      it('scales by GUID and by type, changing only the given fields', async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid);
        const web = processes[0]!;
        const first = await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: 4 });
        expect(first.status, first.text).to.equal(200);
        expect(first.body).to.deep.include({ instances: 4, memory_in_mb: 1024, disk_in_mb: 1024 });
        const second = await cf.post(`/v3/apps/${app.guid}/processes/web/actions/scale`, {
          memory_in_mb: 512,
          disk_in_mb: 2048,
          instances: null,
        });
        expect(second.status, second.text).to.equal(200);
        expect(second.body).to.deep.include({ instances: 4, memory_in_mb: 512, disk_in_mb: 2048, command: 'run-web' });
        const cfProcess = await storedProcess(cf, web, space.guid);
        expect(cfProcess.spec).to.deep.include({ desiredInstances: 4, memoryMB: 512, diskQuotaMB: 2048 });
        const zero = await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: 0 });
        expect((zero.body as Process).instances).to.equal(0);
      });

      it("refuses bad scales with Korifi's texts, unknown processes and apps with 404", async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid);
        const web = processes[0]!;
        const path = `/v3/processes/${web.guid}/actions/scale`;
        expectCfError(await cf.post(path, { instances: -1 }), cfError.unprocessable('instances must be 0 or greater'));
        expectCfError(await cf.post(path, { memory_in_mb: 0 }), cfError.unprocessable('memory_in_mb must be greater than 0'));
        expectCfError(await cf.post(path, { disk_in_mb: 0 }), cfError.unprocessable('disk_in_mb must be greater than 0'));
        expect((await cf.post(path, { instances: 'two' })).status).to.equal(422);
        expect((await cf.post(path, { replicas: 2 })).status).to.equal(422);
        expectCfError(await cf.post(`/v3/apps/${app.guid}/processes/worker/actions/scale`, { instances: 1 }), cfError.notFound('Process'));
        expectCfError(await cf.post(`/v3/apps/${unknownGuid}/processes/web/actions/scale`, { instances: 1 }), cfError.notFound('App'));
        expectCfError(await cf.post(`/v3/processes/${unknownGuid}/actions/scale`, { instances: 1 }), cfError.notFound('Process'));
        expect((await storedProcess(cf, web, space.guid)).spec.desiredInstances).to.equal(1);
      });

      it('ignores a log rate limit with a warning', async () => {
        const { processes } = await appWithProcesses(cf, space.guid);
        const response = await cf.post(`/v3/processes/${processes[0]!.guid}/actions/scale`, { log_rate_limit_in_bytes_per_second: 1024 });
        expect(response.status, response.text).to.equal(200);
        expect(response.headers.get('x-cf-warnings') ?? '').to.include('log_rate_limit_in_bytes_per_second');
        expect((response.body as Process).log_rate_limit_in_bytes_per_second).to.equal(-1);
      });

      it('updates the command, health check and metadata; empty values go back to the defaults', async () => {
        const { processes } = await appWithProcesses(cf, space.guid);
        const web = processes[0]!;
        const response = await cf.patch(`/v3/processes/${web.guid}`, {
          command: 'start-me',
          health_check: { type: 'http', data: { endpoint: '/health', timeout: 10, invocation_timeout: 2 } },
          metadata: { labels: { tier: 'front' }, annotations: { note: 'n' } },
        });
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.deep.include({
          command: 'start-me',
          health_check: { type: 'http', data: { endpoint: '/health', timeout: 10, invocation_timeout: 2 } },
          metadata: { labels: { tier: 'front' }, annotations: { note: 'n' } },
        });
        const back = await cf.patch(`/v3/processes/${web.guid}`, {
          command: '',
          health_check: { type: '', data: { timeout: 0, invocation_timeout: null } },
          metadata: { labels: { tier: null } },
        });
        expect(back.status, back.text).to.equal(200);
        expect(back.body).to.deep.include({
          command: 'run-web',
          health_check: { type: 'port', data: { timeout: 60, invocation_timeout: null } },
          metadata: { labels: {}, annotations: { note: 'n' } },
        });
        const cfProcess = await storedProcess(cf, web, space.guid);
        expect(cfProcess.spec.healthCheck).to.deep.equal({
          type: 'port',
          data: { httpEndpoint: '/health', timeoutSeconds: 60, invocationTimeoutSeconds: 0 },
        });
        expect(cfProcess.spec.command).to.equal(undefined);
        const labelled = await cf.get(`/v3/processes?label_selector=tier%3Dfront&app_guids=${web.relationships.app.data.guid}`);
        expect((labelled.body as ListOf<Process>).resources).to.deep.equal([]);
        expect((await cf.patch(`/v3/processes/${web.guid}`, { health_check: { type: 'tcp' } })).status).to.equal(422);
        expectCfError(await cf.patch(`/v3/processes/${unknownGuid}`, { command: 'x' }), cfError.notFound('Process'));
      });
    });

    describe('sidecars, features, ssh and the environment', () => {
      it('lists no sidecars, with correct pagination, for visible apps and processes only', async () => {
        const { app, processes } = await appWithProcesses(cf, space.guid);
        for (const path of [`/v3/apps/${app.guid}/sidecars`, `/v3/processes/${processes[0]!.guid}/sidecars`]) {
          const response = await cf.get(`${path}?per_page=5`);
          expect(response.status, response.text).to.equal(200);
          expect(response.body).to.deep.equal({
            pagination: {
              total_results: 0,
              total_pages: 1,
              first: { href: cf.url(`${path}?page=1&per_page=5`) },
              last: { href: cf.url(`${path}?page=1&per_page=5`) },
              next: null,
              previous: null,
            },
            resources: [],
          });
        }
        expectCfError(await cf.get(`/v3/apps/${unknownGuid}/sidecars`), cfError.notFound('App'));
        expectCfError(await cf.get(`/v3/processes/${unknownGuid}/sidecars`), cfError.notFound('Process'));
      });

      it('reports ssh and revisions as disabled; turning one off is accepted, on is refused', async () => {
        const app = await createApp(cf, space.guid);
        const list = await cf.get(`/v3/apps/${app.guid}/features`);
        expect(list.status, list.text).to.equal(200);
        expect((list.body as ListOf<unknown>).resources).to.deep.equal([
          { name: 'ssh', description: 'Enable SSHing into the app.', enabled: false },
          { name: 'revisions', description: 'Enable versioning of an application', enabled: false },
        ]);
        expect((list.body as ListOf<unknown>).pagination.total_results).to.equal(2);
        const ssh = await cf.get(`/v3/apps/${app.guid}/features/ssh`);
        expect(ssh.body).to.deep.equal({ name: 'ssh', description: 'Enable SSHing into the app.', enabled: false });
        expectCfError(await cf.get(`/v3/apps/${app.guid}/features/teleport`), cfError.notFound('Feature'));
        const off = await cf.patch(`/v3/apps/${app.guid}/features/ssh`, { enabled: false });
        expect(off.status, off.text).to.equal(200);
        expect(off.body).to.deep.equal({ name: 'ssh', description: 'Enable SSHing into the app.', enabled: false });
        expectCfError(
          await cf.patch(`/v3/apps/${app.guid}/features/revisions`, { enabled: true }),
          cfError.unprocessable("The 'revisions' feature cannot be enabled: this platform does not support it."),
        );
        expectCfError(await cf.patch(`/v3/apps/${app.guid}/features/ssh`, { enabled: false }, auditor.headers), cfError.notAuthorized());
        expect((await cf.patch(`/v3/apps/${app.guid}/features/ssh`, {})).status).to.equal(422);
        const sshEnabled = await cf.get(`/v3/apps/${app.guid}/ssh_enabled`, auditor.headers);
        expect(sshEnabled.status, sshEnabled.text).to.equal(200);
        expect(sshEnabled.body).to.deep.equal({ enabled: false, reason: 'Disabled globally' });
        expectCfError(await cf.get(`/v3/apps/${unknownGuid}/ssh_enabled`), cfError.notFound('App'));
        expectCfError(await cf.get(`/v3/apps/${unknownGuid}/features`), cfError.notFound('App'));
      });

      it('answers the environment document: variables, no groups, VCAP_SERVICES and VCAP_APPLICATION', async () => {
        const app = await createApp(cf, space.guid, { GREETING: 'hello' });
        const response = await cf.get(`/v3/apps/${app.guid}/env`, developer.headers);
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.deep.equal({
          environment_variables: { GREETING: 'hello' },
          staging_env_json: {},
          running_env_json: {},
          system_env_json: { VCAP_SERVICES: {} },
          application_env_json: {
            VCAP_APPLICATION: {
              application_id: app.guid,
              application_name: app.name,
              name: app.name,
              space_id: space.guid,
              space_name: space.name,
              organization_id: org.guid,
              organization_name: org.name,
              cf_api: cf.server.externalUrl,
            },
          },
        });
        expectCfError(await cf.get(`/v3/apps/${app.guid}/env`, auditor.headers), cfError.notAuthorized());
        expectCfError(await cf.get(`/v3/apps/${unknownGuid}/env`), cfError.notFound('App'));
      });

      it('shows VCAP_SERVICES from the Secret the app status names', async () => {
        const app = await createApp(cf, space.guid);
        const session = cf.server.store.privileged();
        const services = {
          'user-provided': [
            {
              label: 'user-provided',
              name: 'db',
              tags: [],
              instance_guid: unknownGuid,
              instance_name: 'db',
              binding_guid: unknownGuid,
              binding_name: null,
              credentials: { uri: 'x' },
              syslog_drain_url: null,
              volume_mounts: [],
            },
          ],
        };
        await session.create({
          kind: 'Secret',
          metadata: { name: `${app.guid}-vcap-services`, namespace: space.guid },
          stringData: { VCAP_SERVICES: JSON.stringify(services) },
        });
        await eventually(async () => {
          const current = await storedApp(cf, app);
          await session.patchStatus(
            { kind: 'CFApp', namespace: space.guid, name: app.guid },
            { vcapServicesSecretName: `${app.guid}-vcap-services` },
            { resourceVersion: current.metadata.resourceVersion ?? '' },
          );
        });
        const response = await cf.get(`/v3/apps/${app.guid}/env`);
        expect((response.body as { system_env_json: unknown }).system_env_json).to.deep.equal({ VCAP_SERVICES: services });
      });
    });
  },
  { config: { appRuntime: 'scripted' } },
);
