import { expect } from 'chai';
import type { PolicyRule } from '../../../src/store/objects.ts';
import type { StoreSession } from '../../../src/store/port.ts';
import { app, eventCollector, exists, namespace, rejection, storeUser, testStore, type TestStore } from './store-fixtures.ts';

const korifi = 'korifi.cloudfoundry.org';
const ref = { kind: 'CFApp' as const, namespace: 'space-1', name: 'app-1' };

describe('embedded store: RBAC on sessions', () => {
  let t: TestStore;
  let alice: StoreSession;

  async function grant(name: string, rules: PolicyRule[], where: { namespace?: string; user?: string } = {}) {
    await t.admin.create({ kind: 'ClusterRole', metadata: { name }, rules });
    const subjects = [{ kind: 'User' as const, name: where.user ?? 'alice' }];
    const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole' as const, name };
    if (where.namespace === undefined) await t.admin.create({ kind: 'ClusterRoleBinding', metadata: { name }, subjects, roleRef });
    else await t.admin.create({ kind: 'RoleBinding', metadata: { name, namespace: where.namespace }, subjects, roleRef });
  }

  beforeEach(async () => {
    t = await testStore();
    await t.admin.createAll([namespace('space-1'), namespace('space-2'), app('space-1', 'app-1'), app('space-2', 'app-2')]);
    alice = t.store.as(storeUser('alice'));
  });
  afterEach(async () => t.dispose());

  it('forbids everything without bindings, in the apiserver words', async () => {
    expect(await rejection(alice.get(ref))).to.deep.equal({
      reason: 'Forbidden',
      message: 'cfapps is forbidden: User "alice" cannot get resource "cfapps" in the namespace "space-1"',
    });
    expect((await rejection(alice.list('CFApp'))).message).to.equal(
      'cfapps is forbidden: User "alice" cannot list resource "cfapps" at the cluster scope',
    );
    expect((await rejection(alice.create(app('space-1', 'new')))).reason).to.equal('Forbidden');
    expect((await rejection(alice.delete(ref))).reason).to.equal('Forbidden');
    expect(await exists(t.admin, 'CFApp', 'app-1', 'space-1')).to.equal(true);
  });

  it('says Forbidden, not NotFound, for a missing object the user may not get', async () => {
    expect((await rejection(alice.get({ ...ref, name: 'missing' }))).reason).to.equal('Forbidden');
    await grant('reader', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get'] }], { namespace: 'space-1' });
    expect((await rejection(alice.get({ ...ref, name: 'missing' }))).reason).to.equal('NotFound');
  });

  it('lets a RoleBinding grant within its namespace only', async () => {
    await grant('reader', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'list'] }], { namespace: 'space-1' });
    expect((await alice.get(ref)).metadata.name).to.equal('app-1');
    expect((await alice.list('CFApp', { namespace: 'space-1' })).items).to.have.length(1);
    expect((await rejection(alice.get({ kind: 'CFApp', namespace: 'space-2', name: 'app-2' }))).reason).to.equal('Forbidden');
    expect((await rejection(alice.list('CFApp'))).reason).to.equal('Forbidden');
  });

  it('lets a ClusterRoleBinding grant everywhere, all-namespace lists included', async () => {
    await grant('reader', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['list'] }]);
    expect((await alice.list('CFApp')).items).to.have.length(2);
  });

  it('takes effect at once when bindings change, and ends with them', async () => {
    await grant('reader', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get'] }], { namespace: 'space-1' });
    await alice.get(ref);
    await t.admin.delete({ kind: 'RoleBinding', namespace: 'space-1', name: 'reader' });
    expect((await rejection(alice.get(ref))).reason).to.equal('Forbidden');
    await t.admin.create({
      kind: 'RoleBinding',
      metadata: { name: 'again', namespace: 'space-1' },
      subjects: [{ kind: 'Group', name: 'developers' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' },
    });
    expect((await rejection(alice.get(ref))).reason).to.equal('Forbidden');
    await t.store.as(storeUser('alice', ['developers'])).get(ref);
    await t.admin.patch(
      { kind: 'ClusterRole', name: 'reader' },
      { rules: [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['list'] }] },
    );
    expect((await rejection(t.store.as(storeUser('alice', ['developers'])).get(ref))).reason).to.equal('Forbidden');
  });

  it('loses the grants of a deleted namespace', async () => {
    await grant('creator', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['create'] }], { namespace: 'space-1' });
    await t.admin.delete({ kind: 'Namespace', name: 'space-1' });
    await t.admin.create(namespace('space-1'));
    expect((await rejection(alice.create(app('space-1', 'new')))).reason).to.equal('Forbidden');
  });

  it('authorizes every member of system:authenticated', async () => {
    await t.admin.create({
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
      rules: [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get'] }],
    });
    await t.admin.create({
      kind: 'ClusterRoleBinding',
      metadata: { name: 'everyone' },
      subjects: [{ kind: 'Group', name: 'system:authenticated' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' },
    });
    await t.store.as(storeUser('anybody')).get(ref);
  });

  it('lets system:masters do anything', async () => {
    const admin = t.store.as(storeUser('admin', ['system:masters']));
    await admin.delete(ref);
    await admin.create(namespace('space-3'));
    expect((await admin.list('Namespace')).items).to.have.length(3);
  });

  it('authorizes status writes on the status subresource', async () => {
    await grant('app-writer', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'update', 'patch'] }], {
      namespace: 'space-1',
    });
    await alice.patch(ref, { metadata: { labels: { a: 'b' } } });
    const { message } = await rejection(alice.patchStatus(ref, { actualState: 'STARTED' }));
    expect(message).to.equal('cfapps/status is forbidden: User "alice" cannot patch resource "cfapps/status" in the namespace "space-1"');
    await grant('status-writer', [{ apiGroups: [korifi], resources: ['cfapps/status'], verbs: ['patch', 'update'] }], {
      namespace: 'space-1',
    });
    await alice.patchStatus(ref, { actualState: 'STARTED' });
    const current = await alice.get(ref);
    await alice.updateStatus({ ...current, status: { actualState: 'STOPPED' } });
  });

  it('matches resourceNames only for requests naming the object', async () => {
    await grant('one-app', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'list', 'watch'], resourceNames: ['app-1'] }], {
      namespace: 'space-1',
    });
    await alice.get(ref);
    expect((await rejection(alice.list('CFApp', { namespace: 'space-1' }))).reason).to.equal('Forbidden');
    expect((await alice.list('CFApp', { namespace: 'space-1', name: 'app-1' })).items).to.have.length(1);
    expect((await alice.waitFor(ref, () => true, { timeoutMs: 100 })).metadata.name).to.equal('app-1');
  });

  it('needs list and watch to wait', async () => {
    await grant('getter', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'list'] }], { namespace: 'space-1' });
    expect((await rejection(alice.waitFor(ref, () => false, { timeoutMs: 100 }))).reason).to.equal('Forbidden');
    await grant('watcher', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['watch'] }], { namespace: 'space-1' });
    expect((await rejection(alice.waitFor(ref, () => false, { timeoutMs: 30 }))).reason).to.equal('Timeout');
  });

  it('authorizes watches by namespace', async () => {
    await grant('watcher', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['watch'] }], { namespace: 'space-1' });
    const collector = eventCollector<'CFApp'>();
    const watch = await alice.watch('CFApp', { namespace: 'space-1' }, collector.onEvent);
    await collector.count(1);
    watch.stop();
    expect((await rejection(alice.watch('CFApp', {}, () => {}))).reason).to.equal('Forbidden');
  });

  it('creates nothing from createAll when any object is forbidden', async () => {
    await grant('creator', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['create'] }], { namespace: 'space-1' });
    const { reason } = await rejection(alice.createAll([app('space-1', 'new-1'), app('space-2', 'new-2')]));
    expect(reason).to.equal('Forbidden');
    expect(await exists(t.admin, 'CFApp', 'new-1', 'space-1')).to.equal(false);
  });

  it('lets a RoleBinding in a namespace grant access to that Namespace object', async () => {
    await grant('ns-reader', [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }], { namespace: 'space-1' });
    await alice.get({ kind: 'Namespace', name: 'space-1' });
    expect((await rejection(alice.get({ kind: 'Namespace', name: 'space-2' }))).reason).to.equal('Forbidden');
  });

  it('authorizes service accounts by namespace and name', async () => {
    await t.admin.create({
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
      rules: [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get'] }],
    });
    await t.admin.create({
      kind: 'RoleBinding',
      metadata: { name: 'sa', namespace: 'space-1' },
      subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'space-2' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' },
    });
    await t.store.as(storeUser('system:serviceaccount:space-2:deployer', ['system:serviceaccounts'])).get(ref);
    expect((await rejection(t.store.as(storeUser('system:serviceaccount:space-1:deployer')).get(ref))).reason).to.equal('Forbidden');
  });

  it('lets the privileged session bypass RBAC', async () => {
    await t.store.privileged().delete(ref);
  });
});
