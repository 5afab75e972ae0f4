import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { newRoleBinding } from '../../../src/domain/roles/role-binding.ts';
import type { Condition } from '../../../src/store/objects.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfClient } from '../tenancy/cf-client.ts';
import { expectCfError } from '../tenancy/cf-errors.ts';
import { findStored } from '../tenancy/store-lookups.ts';

const readyTimeoutSeconds = 2;
const condition = (status: 'True' | 'False', observedGeneration: number): Condition => ({
  type: 'Ready',
  status,
  reason: status === 'True' ? 'Ready' : 'DropletNotAssigned',
  message: '',
  observedGeneration,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

/**
 * Setting the current droplet waits, as Korifi does, for the app's controller to report the app Ready
 * for the change. No controller runs here: the test plays it, writing the objects as Korifi's
 * controllers would have (a space namespace the admin may use, an app, a staged build).
 */
forEachBackend(
  'setting the current droplet waits for the app controller',
  (cf) => {
    let namespace: string;
    before(async () => {
      namespace = uniqueName('space');
      const store = cf.server.store.privileged();
      await store.create({ kind: 'Namespace', metadata: { name: namespace } });
      await store.create(newRoleBinding('admin', cf.server.admin.name, namespace));
    });

    /** An app (with a Ready condition when a controller has reported on it) and a staged droplet of it. */
    async function appWithDroplet(ready?: Condition): Promise<{ app: string; droplet: string }> {
      const store = cf.server.store.privileged();
      const app = randomUUID();
      const droplet = randomUUID();
      const lifecycle = { type: 'buildpack' as const, data: { buildpacks: [], stack: 'cflinuxfs3' } };
      await store.create({
        kind: 'CFApp',
        metadata: { name: app, namespace },
        spec: { displayName: uniqueName('app'), desiredState: 'STOPPED', lifecycle },
      });
      if (ready) await store.patchStatus({ kind: 'CFApp', namespace, name: app }, { conditions: [ready] });
      await store.create({
        kind: 'CFBuild',
        metadata: { name: droplet, namespace },
        spec: { packageRef: { name: randomUUID() }, appRef: { name: app }, stagingMemoryMB: 1024, stagingDiskMB: 0, lifecycle },
      });
      await store.patchStatus(
        { kind: 'CFBuild', namespace, name: droplet },
        { state: 'STAGED', droplet: { registry: { image: 'img' }, stack: 'cflinuxfs3', processTypes: [{ type: 'web', command: 'run' }] } },
      );
      return { app, droplet };
    }

    const assign = (client: CfClient, app: string, droplet: string) =>
      client.patch(`/v3/apps/${app}/relationships/current_droplet`, { data: { guid: droplet } });

    it('answers once the controller reports the app Ready at the new generation', async () => {
      const { app, droplet } = await appWithDroplet(condition('False', 1));
      let answered = false;
      const answer = assign(cf, app, droplet).finally(() => (answered = true));
      const ref = { kind: 'CFApp' as const, namespace, name: app };
      let stored = await findStored(cf.server, ref);
      while (stored?.spec.currentDropletRef === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        stored = await findStored(cf.server, ref);
      }
      // Ready for the old generation is not an answer; Ready for the new one is.
      await cf.server.store.privileged().patchStatus(ref, { conditions: [condition('True', (stored.metadata.generation ?? 2) - 1)] });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).to.equal(false);
      await cf.server.store.privileged().patchStatus(ref, { conditions: [condition('True', stored.metadata.generation ?? 2)] });
      const response = await answer;
      expect(response.status, response.text).to.equal(200);
      expect((response.body as { data: { guid: string } }).data.guid).to.equal(droplet);
    });

    it('is 503 when the controller does not answer in time, with the droplet set all the same', async () => {
      const { app, droplet } = await appWithDroplet(condition('False', 1));
      expectCfError(await assign(cf, app, droplet), {
        status: 503,
        code: 10015,
        title: 'CF-ServiceUnavailable',
        detail:
          `The app's current droplet was set but the app did not become ready within ${readyTimeoutSeconds} seconds. ` +
          'Check that its controller (Korifi, or this server with reconcilers enabled) is running.',
      });
      const stored = await findStored(cf.server, { kind: 'CFApp', namespace, name: app });
      expect(stored?.spec.currentDropletRef).to.deep.equal({ name: droplet });
    });

    it('does not wait for an app no controller reports on (no Ready condition at all)', async () => {
      const { app, droplet } = await appWithDroplet();
      const started = Date.now();
      const response = await assign(cf, app, droplet);
      expect(response.status, response.text).to.equal(200);
      expect(Date.now() - started).to.be.below(readyTimeoutSeconds * 1000);
    });
  },
  { config: { reconcilers: false, readyTimeoutSeconds } },
);
