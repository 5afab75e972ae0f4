import { expect } from 'chai';
import { forEachBackend } from '../tenancy/backends.ts';
import { expectCfError } from '../tenancy/cf-errors.ts';
import { appWithProcesses, statesOf, storedApp } from './process-fixtures.ts';

/**
 * A server whose runtime runs nothing (`appRuntime: none`): its processes never get an instance, so an
 * app never reaches STARTED, and a start answers 503 once `readyTimeoutSeconds` have passed.
 */
forEachBackend(
  'app start without a runtime that runs it',
  (cf) => {
    it('answers 503 with what did not happen, leaves the app STARTED as asked, and stops it again', async () => {
      const org = await cf.createOrg();
      const space = await cf.createSpace(org.guid);
      const { app, processes } = await appWithProcesses(cf, space.guid);
      const started = Date.now();
      const response = await cf.post(`/v3/apps/${app.guid}/actions/start`, undefined);
      expect(Date.now() - started).to.be.at.least(900);
      expectCfError(response, {
        status: 503,
        code: 10015,
        title: 'CF-ServiceUnavailable',
        detail:
          `App '${app.name}' was set to STARTED but did not reach that state within 1 seconds. ` +
          'Check that its controller (Korifi, or this server with reconcilers enabled) is running and can run its processes.',
      });
      const stored = await storedApp(cf, app);
      expect(stored.spec.desiredState).to.equal('STARTED');
      expect(stored.status?.actualState).to.equal('STOPPED');
      expect(stored.status?.conditions?.find((condition) => condition.type === 'Ready')).to.deep.include({
        status: 'False',
        reason: 'DesiredStateNotReached',
      });
      expect(await statesOf(cf, processes[0]!.guid)).to.deep.equal(['DOWN']);
      const stopped = await cf.post(`/v3/apps/${app.guid}/actions/stop`, undefined);
      expect(stopped.status, stopped.text).to.equal(200);
      expect((await storedApp(cf, app)).metadata.annotations?.['korifi.cloudfoundry.org/app-rev']).to.equal('1');
    });
  },
  { config: { appRuntime: 'none', readyTimeoutSeconds: 1 } },
);
