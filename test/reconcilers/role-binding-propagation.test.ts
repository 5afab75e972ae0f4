import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startTenancyReconcilers, type RunningReconcilers } from '../../src/reconcilers/index.ts';
import { openEmbeddedStore } from '../../src/store/embedded/embedded-store.ts';
import { withKorifiLabels } from '../../src/store/korifi-labels/labelled-store.ts';
import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';
import { getIfExists } from '../../src/store/lookups.ts';
import type { NewObject, RoleRef, StoredObject } from '../../src/store/objects.ts';
import type { Ref, Store, StoreSession } from '../../src/store/port.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { eventually, uniqueName } from '../store/fixture.ts';
import { capturingLogger } from './support.ts';

const propagate = 'cloudfoundry.org/propagate-cf-role';
const propagatedFrom = 'cloudfoundry.org/propagated-from';
const orgGuidLabel = 'korifi.cloudfoundry.org/org-guid';
const rbacGroup = 'rbac.authorization.k8s.io';

const clusterRole = (name: string): RoleRef => ({ apiGroup: rbacGroup, kind: 'ClusterRole', name });
const bindingRef = (namespace: string, name: string): Ref<'RoleBinding'> => ({ kind: 'RoleBinding', namespace, name });

function binding(namespace: string, roleRef: RoleRef, options: { name?: string; propagates?: boolean } = {}): NewObject<'RoleBinding'> {
  return {
    kind: 'RoleBinding',
    metadata: {
      name: options.name ?? uniqueName('cf'),
      namespace,
      ...(options.propagates === undefined ? {} : { annotations: { [propagate]: String(options.propagates) } }),
    },
    subjects: [{ kind: 'User', name: uniqueName('user'), apiGroup: rbacGroup }],
    roleRef,
  };
}

type Backend = { name: string; open: () => Promise<{ store: Store; close: () => Promise<void> }>; settleMs: number };

const backends: Backend[] = [
  {
    name: 'embedded',
    settleMs: 10_000,
    open: async () => {
      const directory = await mkdtemp(join(tmpdir(), 'cfapi-propagation-'));
      const store = withKorifiLabels(await openEmbeddedStore({ file: join(directory, 'store.sqlite') }));
      return {
        store,
        close: async () => {
          await store.close();
          await rm(directory, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'Kubernetes (real control plane)',
    settleMs: 60_000,
    open: async () => {
      const store = withKorifiLabels(new KubernetesStore(adminKubeConfig(await sharedControlPlane())));
      return { store, close: () => store.close() };
    },
  },
];

/**
 * The role propagator writes with the server's credentials, so it must not be a confused deputy: it
 * copies only bindings to the CF roles' ClusterRoles, and it changes or deletes only its own copies.
 */
for (const backend of backends) {
  describe(`role binding propagation only of CF roles, only over its own copies: ${backend.name}`, function () {
    this.timeout(backend.settleMs * 2);
    let opened: Awaited<ReturnType<Backend['open']>> | undefined;
    let session: StoreSession;
    let root: string;
    let running: RunningReconcilers | undefined;

    before(async function () {
      this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
      opened = await backend.open();
      session = opened.store.privileged();
      root = uniqueName('root');
      await session.create({ kind: 'Namespace', metadata: { name: root } });
      running = await startTenancyReconcilers(opened.store, { rootNamespace: root, logger: capturingLogger().logger });
    });

    after(async function () {
      this.timeout(backend.settleMs + 10_000);
      await session?.delete({ kind: 'Namespace', name: root }).catch(() => undefined);
      await session?.waitForDeletion({ kind: 'Namespace', name: root }, { timeoutMs: backend.settleMs }).catch(() => undefined);
      await running?.stop();
      await opened?.close();
    });

    /** Creates an org (of a GUID whose namespace the test made beforehand, when given); once Ready, propagation is done. */
    async function readyOrg(guid: string = randomUUID()): Promise<StoredObject<'CFOrg'>> {
      const org = await session.create({
        kind: 'CFOrg',
        metadata: { name: guid, namespace: root },
        spec: { displayName: uniqueName('org') },
      });
      return reconciled(org);
    }

    /** Waits until the reconciler has seen this generation of the org. */
    async function reconciled(org: StoredObject<'CFOrg'>): Promise<StoredObject<'CFOrg'>> {
      const ref = { kind: 'CFOrg' as const, namespace: root, name: org.metadata.name };
      return eventually(async () => {
        const current = await session.get(ref);
        const ready = current.status?.conditions?.find((condition) => condition.type === 'Ready');
        expect(ready, `org ${org.metadata.name} Ready`).to.include({ status: 'True', observedGeneration: current.metadata.generation });
        return current;
      }, backend.settleMs);
    }

    it('copies no annotated binding to cluster-admin, another ClusterRole or a Role, only those to CF roles', async () => {
      const secretsReader = await session.create({
        kind: 'ClusterRole',
        metadata: { name: uniqueName('cfapi-test-secrets-reader') },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      });
      const clusterAdmin = await session.create(binding(root, clusterRole('cluster-admin'), { propagates: true }));
      const otherClusterRole = await session.create(binding(root, clusterRole(secretsReader.metadata.name), { propagates: true }));
      // A namespace's own Role, even one named like a CF role's ClusterRole, grants something else in every namespace.
      const role = await session.create(
        binding(root, { apiGroup: rbacGroup, kind: 'Role', name: 'korifi-controllers-admin' }, { propagates: true }),
      );
      const admin = await session.create(binding(root, clusterRole('korifi-controllers-admin'), { propagates: true }));

      const org = await readyOrg();
      expect((await session.get(bindingRef(org.metadata.name, admin.metadata.name))).roleRef).to.deep.equal(admin.roleRef);
      for (const source of [clusterAdmin, otherClusterRole, role]) {
        expect(await getIfExists(session, bindingRef(org.metadata.name, source.metadata.name)), source.roleRef.name).to.equal(undefined);
      }
      await session.delete({ kind: 'ClusterRole', name: secretsReader.metadata.name });
    });

    it('neither overwrites nor deletes a binding of the same name in the child that it did not make', async () => {
      // The org's namespace is there before the org, with a binding someone made in it.
      const guid = randomUUID();
      await session.create({ kind: 'Namespace', metadata: { name: guid, labels: { [orgGuidLabel]: guid } } });
      const name = uniqueName('cf');
      const own = await session.create(binding(guid, clusterRole('korifi-controllers-organization-user'), { name }));
      const source = await session.create(binding(root, clusterRole('korifi-controllers-admin'), { name, propagates: true }));

      const org = await readyOrg(guid);
      const untouched = (present: StoredObject<'RoleBinding'> | undefined) => {
        expect(present?.metadata.uid).to.equal(own.metadata.uid);
        expect(present?.roleRef).to.deep.equal(own.roleRef);
        expect(present?.subjects).to.deep.equal(own.subjects);
        expect(present?.metadata.labels ?? {}).not.to.have.property(propagatedFrom);
      };
      untouched(await getIfExists(session, bindingRef(guid, name)));

      // The source goes; a later reconcile (after the rename) must not take the user's binding for a stale copy.
      await session.delete(bindingRef(root, source.metadata.name));
      await session.patch({ kind: 'CFOrg', namespace: root, name: guid }, { spec: { displayName: uniqueName('renamed') } });
      await reconciled(org);
      untouched(await getIfExists(session, bindingRef(guid, name)));
    });

    it('still updates and removes its own copies', async () => {
      const org = await readyOrg();
      const source = await session.create(binding(root, clusterRole('korifi-controllers-admin'), { propagates: true }));
      await eventually(async () => session.get(bindingRef(org.metadata.name, source.metadata.name)), backend.settleMs);
      // The source's role no longer is a CF role: its copy goes.
      await session.delete(bindingRef(root, source.metadata.name));
      await session.create(binding(root, clusterRole('cluster-admin'), { name: source.metadata.name, propagates: true }));
      await eventually(
        async () => expect(await getIfExists(session, bindingRef(org.metadata.name, source.metadata.name))).to.equal(undefined),
        backend.settleMs,
      );
    });
  });
}
