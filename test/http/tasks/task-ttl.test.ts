import { expect } from 'chai';
import { eventually } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import { cfError, expectCfError } from '../tenancy/cf-errors.ts';
import { findStored } from '../tenancy/store-lookups.ts';
import { appWithDroplet, getTask, runTask, waitForState } from './task-fixtures.ts';

forEachBackend(
  'tasks after their TTL (taskTTLSeconds: 1)',
  (cf) => {
    it('deletes a finished task once its TTL has passed, and keeps a running one', async () => {
      const org = await cf.createOrg();
      const space = await cf.createSpace(org.guid);
      const finishing = await appWithDroplet(cf, space.guid, { SCRIPTED_TASK_MS: '10' });
      const hanging = await appWithDroplet(cf, space.guid, { SCRIPTED_TASK: 'hang' });
      const done = await runTask(cf, finishing.app.guid);
      const running = await runTask(cf, hanging.app.guid);
      await waitForState(cf, running.guid, 'RUNNING');
      await eventually(async () => expectCfError(await cf.get(`/v3/tasks/${done.guid}`), cfError.notFound('Task')), 15_000);
      expect(await findStored(cf.server, { kind: 'CFTask', namespace: space.guid, name: done.guid })).to.equal(undefined);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect((await getTask(cf, running.guid)).state).to.equal('RUNNING');
    });
  },
  { config: { appRuntime: 'scripted', taskTTLSeconds: 1 } },
);
