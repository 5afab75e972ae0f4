import { expect } from 'chai';
import type { LogSource } from '../../../src/log-cache/log-source.ts';
import { eventually } from '../../store/fixture.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { CfClient } from '../tenancy/cf-client.ts';
import { appWithProcesses, stats } from './process-fixtures.ts';

/**
 * Instance usage comes from the log source (as Korifi's stats read log-cache's gauges). When that read
 * fails (a metrics server that errs), `cf app` must still get its instances: the stats answer without
 * usage, warn the caller and log why.
 */
describe('process stats when usage cannot be read', function () {
  this.timeout(30_000);
  let server: TestServer;
  let failing = false;
  before(async () => {
    server = await startTestServer({
      config: { appRuntime: 'scripted' },
      wrapLogSource: (source): LogSource => ({
        envelopes: (target, window) =>
          failing ? Promise.reject(new Error('metrics server unavailable')) : source.envelopes(target, window),
      }),
    });
  });
  after(() => server.stop());

  it('still reports the instances, without usage, with a warning', async () => {
    const cf = new CfClient(() => server);
    const org = await cf.createOrg();
    const space = await cf.createSpace(org.guid);
    const { app, processes } = await appWithProcesses(cf, space.guid);
    const web = processes[0]!;
    const started = await cf.post(`/v3/apps/${app.guid}/actions/start`, undefined);
    expect(started.status, started.text).to.equal(200);
    await eventually(async () => {
      const [instance] = await stats(cf, web.guid);
      expect(instance?.state).to.equal('RUNNING');
      expect(instance && 'usage' in instance ? instance.usage : undefined).to.have.property('mem');
    });

    failing = true;
    const response = await cf.get(`/v3/processes/${web.guid}/stats`);
    expect(response.status, response.text).to.equal(200);
    const [instance] = (response.body as { resources: { state: string; usage?: unknown }[] }).resources;
    expect(instance).to.deep.include({ state: 'RUNNING', usage: {} });
    expect(response.headers.get('x-cf-warnings')).to.equal(encodeURIComponent('Instance usage is unavailable: it could not be read.'));
    const logged = server.logs.find((entry) => entry['msg'] === 'instance usage could not be read');
    expect(logged, 'a warning in the server log').to.include({ level: 40, process: web.guid });
  });
});
