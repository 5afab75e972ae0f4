import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { startTenancyReconcilers, type RunningReconcilers } from '../../src/reconcilers/index.ts';
import { StoreError } from '../../src/store/errors.ts';
import type { Condition, NewObject, StoredObject } from '../../src/store/objects.ts';
import type { Ref, Store, StoreSession } from '../../src/store/port.ts';
import { eventually, uniqueName } from '../store/fixture.ts';
import { getIfExists } from '../../src/store/lookups.ts';
import { capturingLogger, sha224, withControlledWatches } from './support.ts';

const propagate = 'cloudfoundry.org/propagate-cf-role';
const propagatedFrom = 'cloudfoundry.org/propagated-from';
const propagateDeletion = 'cloudfoundry.org/propagate-deletion';
const korifi = (name: string) => `korifi.cloudfoundry.org/${name}`;

type Tenancy = StoredObject<'CFOrg'> | StoredObject<'CFSpace'>;

const readyOf = (object: Tenancy): Condition | undefined => object.status?.conditions?.find((condition) => condition.type === 'Ready');
const refOf = <K extends 'CFOrg' | 'CFSpace'>(object: StoredObject<K>): Ref<K> => ({
  kind: object.kind,
  namespace: object.metadata.namespace ?? '',
  name: object.metadata.name,
});
const namespaceRef = (name: string): Ref<'Namespace'> => ({ kind: 'Namespace', name });
const bindingRef = (namespace: string, name: string): Ref<'RoleBinding'> => ({ kind: 'RoleBinding', namespace, name });

function binding(namespace: string, options: { propagates: boolean; annotations?: Record<string, string> }): NewObject<'RoleBinding'> {
  return {
    kind: 'RoleBinding',
    metadata: {
      name: uniqueName('cf'),
      namespace,
      labels: { 'cloudfoundry.org/role-guid': randomUUID() },
      annotations: { [propagate]: String(options.propagates), ...options.annotations },
    },
    subjects: [{ kind: 'User', name: uniqueName('user'), apiGroup: 'rbac.authorization.k8s.io' }],
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'korifi-controllers-admin' },
  };
}

/**
 * The org and space reconcilers against one backend's store (wrapped with Korifi's labels, as the
 * server wraps it). Each suite run has its own root namespace, so runs on a shared cluster do not
 * see each other's orgs. `settleMs`: how long the reconcilers may take (Kubernetes' namespace
 * controller takes seconds to empty and remove a namespace).
 */
export function tenancyReconcilerScenarios(storeUnderTest: () => Store, settleMs: number): void {
  let root: string;
  let session: StoreSession;
  let running: RunningReconcilers | undefined;

  const settled = <T>(assertion: () => Promise<T>) => eventually(assertion, settleMs);

  async function createRoot(): Promise<string> {
    const name = uniqueName('root');
    await storeUnderTest().privileged().create({ kind: 'Namespace', metadata: { name } });
    return name;
  }

  async function expectReady<K extends 'CFOrg' | 'CFSpace'>(ref: Ref<K>): Promise<StoredObject<K>> {
    return settled(async () => {
      const object = await session.get(ref);
      expect(readyOf(object as Tenancy), `${ref.kind} ${ref.name} Ready`).to.include({
        status: 'True',
        observedGeneration: object.metadata.generation,
      });
      return object;
    });
  }

  async function readyOrg(displayName = uniqueName('org'), rootNamespace = root): Promise<StoredObject<'CFOrg'>> {
    const org = await session.create({ kind: 'CFOrg', metadata: { name: randomUUID(), namespace: rootNamespace }, spec: { displayName } });
    return expectReady(refOf(org));
  }

  async function readySpace(org: StoredObject<'CFOrg'>, displayName = uniqueName('space')): Promise<StoredObject<'CFSpace'>> {
    const space = await session.create({
      kind: 'CFSpace',
      metadata: { name: randomUUID(), namespace: org.metadata.name },
      spec: { displayName },
    });
    return expectReady(refOf(space));
  }

  async function expectGone(ref: Ref): Promise<void> {
    await settled(async () => expect(await getIfExists(session, ref), `${ref.kind} ${ref.name}`).to.equal(undefined));
  }

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    session = storeUnderTest().privileged();
    root = await createRoot();
    running = await startTenancyReconcilers(storeUnderTest(), { rootNamespace: root, logger: capturingLogger().logger });
  });

  after(async function () {
    this.timeout(settleMs + 10_000);
    // Deleting the root deletes every org left, and the reconcilers delete their namespaces.
    await session?.delete(namespaceRef(root)).catch(() => undefined);
    await session?.waitForDeletion(namespaceRef(root), { timeoutMs: settleMs }).catch(() => undefined);
    await running?.stop();
  });

  it('gives a new org its namespace, finalizer and Ready status', async () => {
    const org = await readyOrg('Org One');
    expect(org.status).to.include({ guid: org.metadata.name, observedGeneration: org.metadata.generation });
    expect(readyOf(org)).to.include({ reason: 'Ready' });
    expect(org.metadata.finalizers).to.include('cfOrg.korifi.cloudfoundry.org');
    // The labelling store turns the Ready condition into the label lists filter on.
    await settled(async () => expect((await session.get(refOf(org))).metadata.labels).to.include({ [korifi('ready')]: 'True' }));
    const namespace = await session.get(namespaceRef(org.metadata.name));
    expect(namespace.metadata.labels).to.include({
      [korifi('org-guid')]: org.metadata.name,
      [korifi('org-name')]: sha224('Org One'),
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    expect(namespace.metadata.annotations).to.include({ [korifi('org-name')]: 'Org One' });
  });

  it('gives a new space its namespace, labelled with its org', async () => {
    const org = await readyOrg();
    const space = await readySpace(org, 'Space One');
    expect(space.status).to.include({ guid: space.metadata.name, observedGeneration: space.metadata.generation });
    expect(space.metadata.finalizers).to.include('cfSpace.korifi.cloudfoundry.org');
    const namespace = await session.get(namespaceRef(space.metadata.name));
    expect(namespace.metadata.labels).to.include({
      [korifi('space-guid')]: space.metadata.name,
      [korifi('space-name')]: sha224('Space One'),
      [korifi('org-guid')]: org.metadata.name,
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    expect(namespace.metadata.annotations).to.include({ [korifi('space-name')]: 'Space One' });
  });

  it('copies propagating RoleBindings from the root into org and then space namespaces, and no others', async () => {
    const admin = await session.create(binding(root, { propagates: true }));
    const user = await session.create(binding(root, { propagates: false }));
    // Ready means propagation is done.
    const org = await readyOrg();
    const orgCopy = await session.get(bindingRef(org.metadata.name, admin.metadata.name));
    expect(orgCopy.subjects).to.deep.equal(admin.subjects);
    expect(orgCopy.roleRef).to.deep.equal(admin.roleRef);
    expect(orgCopy.metadata.labels).to.deep.equal({ ...admin.metadata.labels, [propagatedFrom]: root });
    expect(orgCopy.metadata.annotations).to.include({ [propagate]: 'true' });
    expect(await getIfExists(session, bindingRef(org.metadata.name, user.metadata.name))).to.equal(undefined);

    const space = await readySpace(org);
    const spaceCopy = await session.get(bindingRef(space.metadata.name, admin.metadata.name));
    expect(spaceCopy.subjects).to.deep.equal(admin.subjects);
    expect(spaceCopy.metadata.labels).to.deep.equal({ ...admin.metadata.labels, [propagatedFrom]: org.metadata.name });
    expect(await getIfExists(session, bindingRef(space.metadata.name, user.metadata.name))).to.equal(undefined);
  });

  it('brings a binding made later to existing orgs and spaces, and follows changes to it', async () => {
    const org = await readyOrg();
    const space = await readySpace(org);
    const admin = await session.create(binding(root, { propagates: true }));
    await settled(async () => session.get(bindingRef(space.metadata.name, admin.metadata.name)));
    const orgManager = await session.create(binding(org.metadata.name, { propagates: true }));
    await settled(async () => session.get(bindingRef(space.metadata.name, orgManager.metadata.name)));

    const subjects = [{ kind: 'User' as const, name: uniqueName('other'), apiGroup: 'rbac.authorization.k8s.io' }];
    await session.patch(bindingRef(root, admin.metadata.name), { subjects });
    await settled(async () =>
      expect((await session.get(bindingRef(space.metadata.name, admin.metadata.name))).subjects).to.deep.equal(subjects),
    );
  });

  it('deletes copies whose source is gone, except those marked propagate-deletion "false"', async () => {
    const plain = await session.create(binding(root, { propagates: true }));
    const keptBySource = await session.create(binding(root, { propagates: true, annotations: { [propagateDeletion]: 'false' } }));
    const keptByCopy = await session.create(binding(root, { propagates: true }));
    const org = await readyOrg();
    const space = await readySpace(org);
    await session.patch(bindingRef(org.metadata.name, keptByCopy.metadata.name), {
      metadata: { annotations: { [propagateDeletion]: 'false' } },
    });

    // `plain` goes last: once its copies are gone, the other deletions have been seen too.
    for (const source of [keptBySource, keptByCopy, plain]) await session.delete(bindingRef(root, source.metadata.name));
    await expectGone(bindingRef(org.metadata.name, plain.metadata.name));
    await expectGone(bindingRef(space.metadata.name, plain.metadata.name));
    for (const namespace of [org.metadata.name, space.metadata.name]) {
      for (const kept of [keptBySource, keptByCopy])
        expect(await getIfExists(session, bindingRef(namespace, kept.metadata.name))).not.to.equal(undefined);
    }
  });

  it('keeps namespace labels and annotations current when an org or space is renamed', async () => {
    const org = await readyOrg();
    const space = await readySpace(org);
    await session.patch(refOf(org), { spec: { displayName: 'Renamed Org' } });
    await session.patch(refOf(space), { spec: { displayName: 'Renamed Space' } });
    const renamedOrg = await expectReady(refOf(org));
    expect(renamedOrg.metadata.generation).to.be.greaterThan(org.metadata.generation ?? 0);
    expect(renamedOrg.status?.observedGeneration).to.equal(renamedOrg.metadata.generation);
    await expectReady(refOf(space));
    await settled(async () => {
      const orgNamespace = await session.get(namespaceRef(org.metadata.name));
      expect(orgNamespace.metadata.labels).to.include({ [korifi('org-name')]: sha224('Renamed Org') });
      expect(orgNamespace.metadata.annotations).to.include({ [korifi('org-name')]: 'Renamed Org' });
      const spaceNamespace = await session.get(namespaceRef(space.metadata.name));
      expect(spaceNamespace.metadata.labels).to.include({ [korifi('space-name')]: sha224('Renamed Space') });
      expect(spaceNamespace.metadata.annotations).to.include({ [korifi('space-name')]: 'Renamed Space' });
    });
  });

  it('keeps lastTransitionTime while Ready does not change', async () => {
    const org = await readyOrg();
    const before = readyOf(org)?.lastTransitionTime;
    // Conditions are stamped in whole seconds: a new stamp would differ after this.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await session.patch(refOf(org), { spec: { displayName: uniqueName('again') } });
    const after = await expectReady(refOf(org));
    expect(readyOf(after)?.lastTransitionTime).to.equal(before);
  });

  it('deletes a space’s namespace with everything in it, and only then the space', async () => {
    const org = await readyOrg();
    const space = await readySpace(org);
    await session.create(secretIn(space.metadata.name));
    await session.delete(refOf(space));
    await session.waitForDeletion(refOf(space), { timeoutMs: settleMs });
    expect(await getIfExists(session, namespaceRef(space.metadata.name))).to.equal(undefined);
    expect(await getIfExists(session, refOf(org))).not.to.equal(undefined);
  });

  it('deletes an org with its spaces, all their namespaces and contents, and then the org', async () => {
    const org = await readyOrg();
    const spaces = [await readySpace(org), await readySpace(org)];
    for (const space of spaces) await session.create(secretIn(space.metadata.name));
    await session.delete(refOf(org));
    await session.waitForDeletion(refOf(org), { timeoutMs: settleMs });
    for (const space of spaces) {
      expect(await getIfExists(session, refOf(space))).to.equal(undefined);
      expect(await getIfExists(session, namespaceRef(space.metadata.name))).to.equal(undefined);
    }
    expect(await getIfExists(session, namespaceRef(org.metadata.name))).to.equal(undefined);
  });

  it('makes the namespace again when it is deleted from under an org', async () => {
    const org = await readyOrg();
    await session.delete(namespaceRef(org.metadata.name));
    await settled(async () => {
      const namespace = await session.get(namespaceRef(org.metadata.name));
      expect(namespace.metadata.deletionTimestamp).to.equal(undefined);
      expect(namespace.metadata.labels).to.include({ [korifi('org-guid')]: org.metadata.name });
    });
  });

  it('reports Ready False while the namespace of an earlier org of that name is terminating', async () => {
    const name = randomUUID();
    await session.create({ kind: 'Namespace', metadata: { name, labels: { [korifi('org-guid')]: name } } });
    // A finalizer on something inside holds the namespace in Terminating until the test lets go.
    const held = await session.create({ ...secretIn(name), metadata: { name: 'held', namespace: name, finalizers: ['cfapi.test/hold'] } });
    await session.delete(namespaceRef(name));
    const org = await session.create({ kind: 'CFOrg', metadata: { name, namespace: root }, spec: { displayName: uniqueName('org') } });
    await settled(async () =>
      expect(readyOf(await session.get(refOf(org)))).to.include({ status: 'False', reason: 'NamespaceTerminating' }),
    );

    await session.patch({ kind: 'Secret', namespace: name, name: held.metadata.name }, { metadata: { finalizers: null } });
    await expectReady(refOf(org));
    expect((await session.get(namespaceRef(name))).metadata.deletionTimestamp).to.equal(undefined);
  });

  it('neither adopts nor deletes a namespace that is not the org’s', async () => {
    const name = randomUUID();
    await session.create({ kind: 'Namespace', metadata: { name } });
    const org = await session.create({ kind: 'CFOrg', metadata: { name, namespace: root }, spec: { displayName: uniqueName('org') } });
    await settled(async () => expect(readyOf(await session.get(refOf(org)))).to.include({ status: 'False', reason: 'NamespaceConflict' }));
    await session.delete(refOf(org));
    await session.waitForDeletion(refOf(org), { timeoutMs: settleMs });
    const namespace = await session.get(namespaceRef(name));
    expect(namespace.metadata.deletionTimestamp).to.equal(undefined);
    expect(namespace.metadata.labels ?? {}).not.to.have.property(korifi('org-guid'));
    await session.delete(namespaceRef(name));
  });

  it('never lets a forged space of another org with the same GUID take over, or delete, a space’s namespace', async () => {
    const victimOrg = await readyOrg();
    const victim = await readySpace(victimOrg);
    await session.create({ kind: 'Secret', metadata: { name: 'workload', namespace: victim.metadata.name } });
    const attackerOrg = await readyOrg();
    const manager = await session.create(binding(attackerOrg.metadata.name, { propagates: true }));
    // What an org manager of the other org could write straight to the apiserver.
    const forged = await session.create({
      kind: 'CFSpace',
      metadata: { name: victim.metadata.name, namespace: attackerOrg.metadata.name },
      spec: { displayName: uniqueName('forged') },
    });
    await settled(async () =>
      expect(readyOf(await session.get(refOf(forged)))).to.include({ status: 'False', reason: 'NamespaceConflict' }),
    );
    const namespace = await session.get(namespaceRef(victim.metadata.name));
    expect(namespace.metadata.labels).to.include({ [korifi('org-guid')]: victimOrg.metadata.name });
    expect(await getIfExists(session, bindingRef(victim.metadata.name, manager.metadata.name))).to.equal(undefined);
    await session.delete(refOf(forged));
    await expectGone(refOf(forged));
    expect((await session.get(namespaceRef(victim.metadata.name))).metadata.deletionTimestamp).to.equal(undefined);
    expect(await getIfExists(session, { kind: 'Secret', namespace: victim.metadata.name, name: 'workload' })).not.to.equal(undefined);
    expect(readyOf(await session.get(refOf(victim)))).to.include({ status: 'True' });
  });

  it('lists again and watches anew when the backend ends its watches', async () => {
    const watches = withControlledWatches(storeUnderTest());
    const otherRoot = await createRoot();
    const { logger, lines } = capturingLogger();
    const reconcilers = await startTenancyReconcilers(watches.store, { rootNamespace: otherRoot, logger });
    try {
      expect(watches.live).to.equal(4);
      const started = watches.started;
      watches.endAll(new StoreError('Unavailable', 'the connection was lost'));
      // Made while no watch runs: the next list finds it.
      const org = await readyOrg(uniqueName('org'), otherRoot);
      await settled(async () => expect(watches.started).to.equal(started + 4));
      expect(watches.live).to.equal(4);
      expect(lines.some((line) => line['msg'] === 'watch ended; listing again' && line['level'] === 40)).to.equal(true);
      // And the new watches deliver.
      const admin = await session.create(binding(otherRoot, { propagates: true }));
      await settled(async () => session.get(bindingRef(org.metadata.name, admin.metadata.name)));
    } finally {
      await reconcilers.stop();
    }
  });

  it('repairs on the periodic resync what no event announced', async () => {
    const watches = withControlledWatches(storeUnderTest());
    const otherRoot = await createRoot();
    const reconcilers = await startTenancyReconcilers(watches.store, {
      rootNamespace: otherRoot,
      logger: capturingLogger().logger,
      resyncIntervalMs: 300,
    });
    try {
      const admin = await session.create(binding(otherRoot, { propagates: true }));
      const org = await readyOrg(uniqueName('org'), otherRoot);
      watches.deaf = true;
      await session.delete(bindingRef(org.metadata.name, admin.metadata.name));
      await settled(async () => session.get(bindingRef(org.metadata.name, admin.metadata.name)));
    } finally {
      watches.deaf = false;
      await reconcilers.stop();
    }
  });

  it('converges with two replicas reconciling the same objects', async () => {
    const otherRoot = await createRoot();
    const logs = [capturingLogger(), capturingLogger()];
    const replicas = await Promise.all(
      logs.map(({ logger }) => startTenancyReconcilers(storeUnderTest(), { rootNamespace: otherRoot, logger })),
    );
    try {
      const admin = await session.create(binding(otherRoot, { propagates: true }));
      const org = await readyOrg(uniqueName('org'), otherRoot);
      const spaces = [await readySpace(org), await readySpace(org)];
      for (const space of spaces) await session.get(bindingRef(space.metadata.name, admin.metadata.name));
      await session.delete(refOf(spaces[0]!));
      await session.waitForDeletion(refOf(spaces[0]!), { timeoutMs: settleMs });
      expect(await getIfExists(session, namespaceRef(spaces[0]!.metadata.name))).to.equal(undefined);
      // Races between the replicas are retried quietly; nothing failed for real.
      const warnings = logs.flatMap(({ lines }) => lines.filter((line) => (line['level'] as number) >= 40));
      expect(warnings).to.deep.equal([]);
    } finally {
      await Promise.all(replicas.map((replica) => replica.stop()));
    }
  });

  it('fails to start when a watch cannot start, leaving nothing running', async () => {
    const watches = withControlledWatches(storeUnderTest());
    watches.refused = 'RoleBinding';
    const starting = startTenancyReconcilers(watches.store, { rootNamespace: await createRoot(), logger: capturingLogger().logger });
    const error: unknown = await starting.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(StoreError).and.to.include({ reason: 'Forbidden' });
    expect(watches.started).to.equal(3);
    expect(watches.live).to.equal(0);
  });

  it('stops cleanly: no watch left, nothing reconciled afterwards', async () => {
    const watches = withControlledWatches(storeUnderTest());
    const otherRoot = await createRoot();
    const { logger, lines } = capturingLogger();
    const reconcilers = await startTenancyReconcilers(watches.store, { rootNamespace: otherRoot, logger, resyncIntervalMs: 100 });
    await readyOrg(uniqueName('org'), otherRoot);
    await reconcilers.stop();
    expect(watches.live).to.equal(0);
    const linesAtStop = lines.length;
    const org = await session.create({
      kind: 'CFOrg',
      metadata: { name: randomUUID(), namespace: otherRoot },
      spec: { displayName: 'late' },
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const untouched = await session.get(refOf(org));
    expect(untouched.status).to.equal(undefined);
    expect(untouched.metadata.finalizers ?? []).to.deep.equal([]);
    expect(lines.length).to.equal(linesAtStop);
    await session.delete(refOf(org));
  });
}

function secretIn(namespace: string): NewObject<'Secret'> {
  return { kind: 'Secret', metadata: { name: uniqueName('secret'), namespace }, type: 'Opaque', stringData: { password: 's3cret' } };
}
