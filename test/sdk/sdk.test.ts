import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CfApiError, credentialsFromKubeconfig, labelSelector, type CfClient, type Warning } from '../../sdk/src/index.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { newRoleBinding } from '../../src/domain/roles/role-binding.ts';
import { backends } from '../http/tenancy/backends.ts';
import { uniqueName } from '../store/fixture.ts';
import { sharedControlPlane } from '../support/control-plane.ts';
import { packageRegistryForSuite, storeRegistryCredentials } from '../support/package-registry.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { makeZip } from '../unit/bits/zip-fixtures.ts';
import { sdkClient, writeKubeconfig } from './support.ts';

describe('SDK against the server', function () {
  // The kubernetes server pushes package bits to a real registry; the config names it once it has started.
  const config: ConfigInput = {};
  const registryOf = packageRegistryForSuite(config);

  for (const backend of backends) {
    describe(`SDK (${backend})`, function () {
      this.timeout(backend === 'kubernetes' ? 120_000 : 30_000);
      let server: TestServer;
      let kubeconfig: string;
      before(async () => {
        server = await startTestServer({ backend, config });
        if (backend === 'kubernetes') await storeRegistryCredentials(server, registryOf());
        // On embedded, the kubeconfig the server wrote (its admin has a certificate and a token); on
        // kubernetes, one written as for a cluster user, with the certificate and key as files.
        kubeconfig = backend === 'embedded' ? server.kubeconfigPath : await writeKubeconfig(server.admin, 'files');
      });
      after(async () => {
        await server?.stop();
        if (backend === 'kubernetes' && kubeconfig) await rm(dirname(kubeconfig), { recursive: true, force: true });
      });

      /** The admin through the kubeconfig, as the cf CLI signs: with the client certificate. */
      const admin = async (sent: Request[] = [], warnings: Warning[] = []): Promise<CfClient> => {
        const auth = await credentialsFromKubeconfig({ path: kubeconfig, ...(backend === 'embedded' ? { user: 'admin' } : {}) });
        return sdkClient(server, { auth, onWarning: (warning) => warnings.push(warning) }, sent);
      };

      it('creates an org, a space and an app, uploads bits, lists apps page by page, deletes the app and waits for its job', async () => {
        const sent: Request[] = [];
        const cf = await admin(sent);
        const { data: org, response } = await cf.POST('/v3/organizations', { body: { name: uniqueName('sdk-org') } });
        expect(response.status).to.equal(201);
        const { data: space } = await cf.POST('/v3/spaces', {
          body: { name: 'dev', relationships: { organization: { data: { guid: org.guid } } } },
        });
        const apps = [];
        for (const name of ['app-a', 'app-b', 'app-c', 'app-d', 'app-e']) {
          const { data } = await cf.POST('/v3/apps', { body: { name, relationships: { space: { data: { guid: space.guid } } } } });
          apps.push(data);
        }
        expect(sent.every((request) => request.headers.get('authorization')?.startsWith('ClientCert '))).to.equal(true);

        const { data: created } = await cf.POST('/v3/packages', {
          body: { type: 'bits', relationships: { app: { data: { guid: apps[0]!.guid } } } },
        });
        const zip = await makeZip([{ path: 'index.js', content: 'console.log("hi")\n' }]);
        const { data: uploaded } = await cf.uploadPackageBits(created.guid, new Uint8Array(zip));
        expect(uploaded.guid).to.equal(created.guid);
        expect(['PROCESSING_UPLOAD', 'READY']).to.include(uploaded.state);

        sent.length = 0;
        const pages = [];
        for await (const page of cf.pages('/v3/apps', {
          params: { query: { space_guids: [space.guid], per_page: 2, order_by: 'name' } },
        })) {
          pages.push(page.resources.map((app) => app.name));
        }
        expect(pages).to.deep.equal([['app-a', 'app-b'], ['app-c', 'app-d'], ['app-e']]);
        expect(sent.map((request) => new URL(request.url).search)).to.deep.equal([
          `?space_guids=${space.guid}&per_page=2&order_by=name`,
          `?space_guids=${space.guid}&per_page=2&order_by=name&page=2`,
          `?space_guids=${space.guid}&per_page=2&order_by=name&page=3`,
        ]);
        const names = [];
        for await (const app of cf.resources('/v3/apps', { params: { query: { space_guids: [space.guid], per_page: 3 } } }))
          names.push(app.name);
        expect(names.sort()).to.deep.equal(['app-a', 'app-b', 'app-c', 'app-d', 'app-e']);

        const deleted = await cf.DELETE('/v3/apps/{guid}', { params: { path: { guid: apps[0]!.guid } } });
        expect(deleted.response.status).to.equal(202);
        expect(deleted.data).to.equal(undefined);
        const job = await cf.waitForJob(deleted, { pollIntervalMs: 100 });
        expect(job.state).to.equal('COMPLETE');
        expect(job.operation).to.equal('app.delete');
        const gone = await cf.GET('/v3/apps/{guid}', { params: { path: { guid: apps[0]!.guid } } }).catch((error: unknown) => error);
        expect(gone).to.be.instanceOf(CfApiError);
        expect((gone as CfApiError).status).to.equal(404);
        expect((gone as CfApiError).title).to.equal('CF-ResourceNotFound');
      });

      it('authenticates with a bearer token', async () => {
        let token = server.admin.token;
        if (backend === 'kubernetes') {
          // The control plane's static token user, made CF admin of this server's root namespace.
          const user = (await sharedControlPlane()).tokenUsers[0]!;
          await server.store.privileged().create(newRoleBinding('admin', user.name, server.config.rootNamespace));
          token = user.token;
        }
        const sent: Request[] = [];
        const cf = sdkClient(server, { auth: { token } }, sent);
        const { data: org } = await cf.POST('/v3/organizations', { body: { name: uniqueName('sdk-token-org') } });
        const { data: found } = await cf.GET('/v3/organizations/{guid}', { params: { path: { guid: org.guid } } });
        expect(found.name).to.equal(org.name);
        expect(sent.map((request) => request.headers.get('authorization'))).to.deep.equal([`Bearer ${token}`, `Bearer ${token}`]);

        const rejected = await sdkClient(server, { auth: { token: 'not-a-valid-token' } })
          .GET('/v3/organizations')
          .catch((error: unknown) => error);
        expect(rejected).to.be.instanceOf(CfApiError);
        expect((rejected as CfApiError).status).to.equal(401);
        expect((rejected as CfApiError).code).to.equal(1000);
        expect((rejected as CfApiError).title).to.equal('CF-InvalidAuthToken');
      });

      it('reads the user of the current context, with the certificate inline in the kubeconfig', async () => {
        const path = await writeKubeconfig(server.admin, 'data');
        try {
          const sent: Request[] = [];
          const cf = sdkClient(server, { auth: await credentialsFromKubeconfig({ path }) }, sent);
          const { data } = await cf.GET('/whoami');
          expect(data.name).to.equal(server.admin.name);
          expect(sent[0]!.headers.get('authorization')).to.match(/^ClientCert [A-Za-z0-9+/]+=*$/);
        } finally {
          await rm(dirname(path), { recursive: true, force: true });
        }
      });

      it('surfaces X-Cf-Warnings through onWarning and on results and errors', async () => {
        const user =
          backend === 'kubernetes'
            ? { token: (await sharedControlPlane()).tokenUsers[1]!.token }
            : { token: (await server.newUser(uniqueName('bob'))).token };
        const warnings: Warning[] = [];
        const cf = sdkClient(server, { auth: user, onWarning: (warning) => warnings.push(warning) });
        const result = await cf.GET('/v3/organizations');
        expect(result.data.resources).to.deep.equal([]);
        expect(result.warnings).to.have.length(1);
        expect(result.warnings[0]).to.match(/^Warning: subject '.+' has no CF roles assigned/);
        expect(warnings).to.deep.equal([{ message: result.warnings[0], method: 'GET', url: `${server.url}/v3/organizations` }]);

        const failed = await cf.POST('/v3/organizations', { body: { name: uniqueName('nope') } }).catch((error: unknown) => error);
        expect(failed).to.be.instanceOf(CfApiError);
        expect((failed as CfApiError).status).to.equal(403);
        expect((failed as CfApiError).warnings).to.deep.equal(result.warnings);
        expect(warnings).to.have.length(2);
      });

      it('throws typed CF errors for non-2xx answers', async () => {
        const cf = await admin();
        const invalid = await cf.GET('/v3/apps', { params: { query: { per_page: 0 } } }).catch((error: unknown) => error);
        expect(invalid).to.be.instanceOf(CfApiError);
        expect(invalid).to.include({ status: 422, code: 10008, title: 'CF-UnprocessableEntity' });
        expect((invalid as CfApiError).detail).to.match(/per_page/);
        expect((invalid as CfApiError).errors).to.have.length(1);
        expect((invalid as CfApiError).correlationId).to.be.a('string');
        expect((invalid as CfApiError).message).to.contain('422 CF-UnprocessableEntity (10008)');

        const name = uniqueName('twice');
        await cf.POST('/v3/organizations', { body: { name } });
        const duplicate = await cf.POST('/v3/organizations', { body: { name } }).catch((error: unknown) => error);
        expect(duplicate).to.include({ status: 422, code: 10008, detail: `Organization '${name}' already exists.` });
      });

      it("sends CF's query forms: comma lists, escaped commas, label_selector, fields[...] and include", async () => {
        const sent: Request[] = [];
        const cf = await admin(sent);
        const prefix = uniqueName('sdk-query');
        const { data: org } = await cf.POST('/v3/organizations', { body: { name: `${prefix},with-comma` } });
        await cf.POST('/v3/organizations', { body: { name: `${prefix}-plain` } });
        await cf.POST('/v3/organizations', { body: { name: `${prefix}` } });
        const named = await cf.GET('/v3/organizations', {
          params: { query: { names: [`${prefix},with-comma`, `${prefix}-plain`], order_by: 'name' } },
        });
        expect(named.data.resources.map((item) => item.name)).to.deep.equal([`${prefix},with-comma`, `${prefix}-plain`]);
        expect(new URL(sent.at(-1)!.url).search).to.equal(`?names=${prefix}%252Cwith-comma,${prefix}-plain&order_by=name`);

        const { data: space } = await cf.POST('/v3/spaces', {
          body: { name: 'q', relationships: { organization: { data: { guid: org.guid } } } },
        });
        const app = (name: string, labels: Record<string, string>) =>
          cf.POST('/v3/apps', { body: { name, metadata: { labels }, relationships: { space: { data: { guid: space.guid } } } } });
        await app('a', { tier: 'web', env: 'prod' });
        await app('c', { tier: 'worker', env: 'prod' });
        await app('d', { tier: 'web', env: 'dev' });

        const selector = labelSelector([
          { key: 'tier', equals: 'web' },
          { key: 'env', in: ['prod', 'staging'] },
        ]);
        expect(selector).to.equal('tier=web,env in (prod,staging)');
        const selected = await cf.GET('/v3/apps', { params: { query: { space_guids: [space.guid], label_selector: selector } } });
        expect(selected.data.resources.map((item) => item.name)).to.deep.equal(['a']);
        expect(new URL(sent.at(-1)!.url).search).to.equal(
          `?space_guids=${space.guid}&label_selector=tier%3Dweb%2Cenv%20in%20(prod%2Cstaging)`,
        );

        const included = await cf.GET('/v3/spaces', { params: { query: { guids: [space.guid], include: ['organization'] } } });
        expect(included.data.included?.organizations?.map((item) => item.guid)).to.deep.equal([org.guid]);

        await cf.POST('/v3/service_instances', {
          body: { type: 'user-provided', name: 'db', relationships: { space: { data: { guid: space.guid } } } },
        });
        const withFields = await cf.GET('/v3/service_instances', {
          params: { query: { space_guids: [space.guid], 'fields[space.organization]': ['name', 'guid'] } },
        });
        expect(new URL(sent.at(-1)!.url).search).to.equal(`?space_guids=${space.guid}&fields[space.organization]=name,guid`);
        expect(withFields.data.included?.organizations).to.deep.equal([{ name: org.name, guid: org.guid }]);
      });

      it('aborts a call with its signal', async () => {
        const cf = await admin();
        const aborted = await cf.GET('/v3/organizations', { signal: AbortSignal.abort() }).catch((error: unknown) => error);
        expect(aborted).to.be.instanceOf(DOMException);
        expect((aborted as DOMException).name).to.equal('AbortError');
      });
    });
  }
});
