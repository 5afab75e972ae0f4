import { expect } from 'chai';
import { kinds } from '../../src/store/kinds.ts';
import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';
import { startWatch } from '../../src/store/kubernetes/kubernetes-watch.ts';
import { resourcePath } from '../../src/store/kubernetes/paths.ts';
import { RestClient } from '../../src/store/kubernetes/rest-client.ts';
import type { WatchEvent } from '../../src/store/port.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { eventually } from '../store/fixture.ts';
import { newApp } from '../store/contract/objects.ts';

describe('Kubernetes watches outlive the apiserver’s request timeout', function () {
  it('resumes from the last version when the apiserver ends a watch, losing and repeating nothing', async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    const config = adminKubeConfig(await sharedControlPlane());
    const store = new KubernetesStore(config);
    const client = new RestClient(config);
    const session = store.privileged();
    const namespace = `watch-${Date.now()}`;
    const created = await session.create({ kind: 'Namespace', metadata: { name: namespace } });
    const events: WatchEvent<'CFApp'>[] = [];
    // timeoutSeconds=1 makes the apiserver end each watch request after a second.
    const request = { method: 'GET' as const, path: resourcePath(kinds.CFApp, { namespace }), query: { timeoutSeconds: '1' } };
    const watch = await startWatch<'CFApp'>(client, request, created.metadata.resourceVersion, (event) => events.push(event));
    try {
      const names: string[] = [];
      for (let round = 0; round < 3; round++) {
        names.push((await session.create(newApp(namespace))).metadata.name);
        await new Promise((resolve) => setTimeout(resolve, 1500));
      }
      await eventually(async () => expect(events.map((event) => event.object.metadata.name)).to.deep.equal(names));
      expect(events.every((event) => event.type === 'ADDED')).to.equal(true);
    } finally {
      watch.stop();
      client.close();
      await store.close();
    }
  });
});
