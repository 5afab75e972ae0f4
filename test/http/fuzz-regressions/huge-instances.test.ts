import { expect } from 'chai';
import { appWithProcesses, type Process } from '../processes/process-fixtures.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';

/**
 * Found by the fuzzer: `{"instances": 2147483647}` is a valid scale by the spec (CAPI's bound, where
 * org quotas stop absurd counts), and the server allocated per desired instance until it ran out of
 * memory (the scripted runtime's instances, the stats' entries; the local runtime would have started
 * that many processes). Now counts over `limits.instancesPerProcess` (1000 by default) are a 422, the
 * process unchanged, and the server goes on answering.
 */
forEachBackend(
  'fuzz regression: scaling a process to 2^31-1 instances',
  (cf) => {
    it('is a 422 on both scale paths; the process keeps its count and the server answers', async () => {
      const org = await cf.createOrg();
      const space = await cf.createSpace(org.guid);
      const { app, processes } = await appWithProcesses(cf, space.guid);
      const web = processes.find((process) => process.type === 'web')!;
      expect((await cf.post(`/v3/apps/${app.guid}/actions/start`, undefined)).status).to.equal(200);
      const refused = cfError.unprocessable('instances must be less than or equal to 1000');
      expectCfError(await cf.post(`/v3/apps/${app.guid}/processes/web/actions/scale`, { instances: 2_147_483_647 }), refused);
      expectCfError(await cf.post(`/v3/processes/${web.guid}/actions/scale`, { instances: 2_147_483_647 }), refused);
      const after = await cf.get(`/v3/processes/${web.guid}`);
      expect(after.status, after.text).to.equal(200);
      expect((after.body as Process).instances).to.equal(1);
      const statsResponse = await cf.get(`/v3/processes/${web.guid}/stats`);
      expect(statsResponse.status, statsResponse.text).to.equal(200);
      expect((statsResponse.body as { resources: unknown[] }).resources).to.have.length(1);
      expect((await cf.get('/v3/info')).status).to.equal(200);
    });
  },
  { config: { appRuntime: 'scripted' } },
);
