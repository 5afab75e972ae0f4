import { expect } from 'chai';
import type { NewObject, PolicyRule, RoleRef } from '../../../src/store/objects.ts';
import type { StoreSession } from '../../../src/store/port.ts';
import { namespace, rejection, storeUser, testStore, type TestStore } from './store-fixtures.ts';

const rbac = 'rbac.authorization.k8s.io';
const korifi = 'korifi.cloudfoundry.org';
const appReader: PolicyRule = { apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'list'] };
const everything: PolicyRule = { apiGroups: ['*'], resources: ['*'], verbs: ['*'] };
const rbacWriter: PolicyRule = { apiGroups: [rbac], resources: ['roles', 'rolebindings'], verbs: ['create', 'update', 'patch', 'get'] };
const clusterRbacWriter: PolicyRule = {
  apiGroups: [rbac],
  resources: ['clusterroles', 'clusterrolebindings'],
  verbs: ['create', 'update', 'patch'],
};

const role = (name: string, rules: PolicyRule[], where = 'space-1'): NewObject<'Role'> => ({
  kind: 'Role',
  metadata: { name, namespace: where },
  rules,
});
const toClusterRole = (name: string): RoleRef => ({ apiGroup: rbac, kind: 'ClusterRole', name });
/** A binding for someone else: what it grants must not change what alice holds in later steps. */
const binding = (name: string, roleRef: RoleRef, where = 'space-1', subject = 'bob'): NewObject<'RoleBinding'> => ({
  kind: 'RoleBinding',
  metadata: { name, namespace: where },
  subjects: [{ kind: 'User', name: subject }],
  roleRef,
});

describe('embedded store: RBAC escalation prevention', () => {
  let t: TestStore;
  let alice: StoreSession;

  /** Gives alice these rules through a ClusterRole, bound in one namespace or cluster-wide. */
  async function grant(name: string, rules: PolicyRule[], where?: string) {
    await t.admin.create({ kind: 'ClusterRole', metadata: { name }, rules });
    if (where === undefined) {
      await t.admin.create({
        kind: 'ClusterRoleBinding',
        metadata: { name },
        subjects: [{ kind: 'User', name: 'alice' }],
        roleRef: toClusterRole(name),
      });
    } else await t.admin.create(binding(name, toClusterRole(name), where, 'alice'));
  }

  beforeEach(async () => {
    t = await testStore();
    await t.admin.createAll([namespace('space-1'), namespace('space-2')]);
    await t.admin.create({ kind: 'ClusterRole', metadata: { name: 'all' }, rules: [everything] });
    await t.admin.create({ kind: 'ClusterRole', metadata: { name: 'app-reader' }, rules: [appReader] });
    alice = t.store.as(storeUser('alice', ['team']));
  });
  afterEach(async () => t.dispose());

  describe('roles', () => {
    it('refuses a Role with rules the user does not hold, in the apiserver words', async () => {
      await grant('rbac-writer', [rbacWriter], 'space-1');
      const attempt = role('r1', [appReader, { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['a', 'b'] }]);
      expect(await rejection(alice.create(attempt))).to.deep.equal({
        reason: 'Forbidden',
        message:
          'roles.rbac.authorization.k8s.io "r1" is forbidden: user "alice" (groups=["team" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
          '{APIGroups:[""], Resources:["secrets"], ResourceNames:["a"], Verbs:["get"]}\n' +
          '{APIGroups:[""], Resources:["secrets"], ResourceNames:["b"], Verbs:["get"]}\n' +
          '{APIGroups:["korifi.cloudfoundry.org"], Resources:["cfapps"], Verbs:["get" "list"]}',
      });
    });

    it('allows a Role whose rules the user holds in its namespace, and only there', async () => {
      await grant('rbac-writer', [rbacWriter], 'space-1');
      await grant('rbac-writer-2', [rbacWriter], 'space-2');
      await grant('reader', [appReader], 'space-1');
      await alice.create(role('r1', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get'] }]));
      expect((await rejection(alice.create(role('r1', [appReader], 'space-2')))).reason).to.equal('Forbidden');
    });

    it('refuses any other change to a Role with rules the user does not hold, but not one of owners or finalizers alone', async () => {
      await grant('rbac-writer', [rbacWriter], 'space-1');
      await t.admin.create(role('big', [everything]));
      const ref = { kind: 'Role' as const, namespace: 'space-1', name: 'big' };
      expect((await rejection(alice.patch(ref, { metadata: { labels: { a: 'b' } } }))).reason).to.equal('Forbidden');
      await alice.patch(ref, { metadata: { finalizers: ['example.com/keep'] } });
      const current = await t.admin.get(ref);
      expect((await rejection(alice.update({ ...current, metadata: { ...current.metadata, labels: { a: 'b' } } }))).reason).to.equal(
        'Forbidden',
      );
      await alice.update({ ...current, metadata: { ...current.metadata, finalizers: [] } });
    });

    it('allows anything with escalate, which only names a role on update', async () => {
      await grant('rbac-writer', [rbacWriter], 'space-1');
      await grant('escalate-one', [{ apiGroups: [rbac], resources: ['roles'], verbs: ['escalate'], resourceNames: ['esc'] }], 'space-1');
      // A create goes to the collection, so a resourceNames-limited escalate does not apply to it.
      expect((await rejection(alice.create(role('esc', [everything])))).reason).to.equal('Forbidden');
      await t.admin.create(role('esc', []));
      await alice.patch({ kind: 'Role', namespace: 'space-1', name: 'esc' }, { rules: [everything] });
      await grant('escalate-all', [{ apiGroups: [rbac], resources: ['roles'], verbs: ['escalate'] }], 'space-1');
      await alice.create(role('another', [everything]));
    });

    it('needs cluster-wide rules for a ClusterRole', async () => {
      await grant('cluster-rbac-writer', [clusterRbacWriter]);
      await grant('reader', [appReader], 'space-1');
      const clusterRole = { kind: 'ClusterRole' as const, metadata: { name: 'mine' }, rules: [appReader] };
      expect((await rejection(alice.create(clusterRole))).message).to.match(
        /^clusterroles\.rbac\.authorization\.k8s\.io "mine" is forbidden: /,
      );
      await grant('cluster-reader', [appReader]);
      await alice.create(clusterRole);
    });

    it('needs full authority to set an aggregationRule', async () => {
      await grant('cluster-rbac-writer', [clusterRbacWriter]);
      const aggregated = {
        kind: 'ClusterRole' as const,
        metadata: { name: 'aggregated' },
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] },
      };
      expect((await rejection(alice.create(aggregated))).message).to.equal(
        'clusterroles.rbac.authorization.k8s.io "aggregated" is forbidden: must have cluster-admin privileges to use the aggregationRule',
      );
    });

    it('lets system:masters and the privileged session grant anything', async () => {
      await t.store.as(storeUser('root', ['system:masters'])).create(role('m', [everything]));
      await t.admin.create(role('p', [everything]));
    });
  });

  describe('bindings', () => {
    it('refuses a RoleBinding to a role whose rules the user does not hold', async () => {
      await grant('rbac-writer', [rbacWriter], 'space-1');
      const { reason, message } = await rejection(alice.create(binding('esc', toClusterRole('all'), 'space-1', 'alice')));
      expect(reason).to.equal('Forbidden');
      expect(message).to.equal(
        'rolebindings.rbac.authorization.k8s.io "esc" is forbidden: user "alice" (groups=["team" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
          '{APIGroups:["*"], Resources:["*"], Verbs:["*"]}',
      );
      expect((await rejection(alice.list('Secret', { namespace: 'space-1' }))).reason).to.equal('Forbidden');
    });

    it('allows binding a role whose rules the user holds in the binding’s namespace', async () => {
      await grant('rbac-writer', [rbacWriter], 'space-1');
      await grant('rbac-writer-2', [rbacWriter], 'space-2');
      await grant('reader', [appReader], 'space-1');
      await alice.create(binding('ok', toClusterRole('app-reader')));
      expect((await rejection(alice.create(binding('ok', toClusterRole('app-reader'), 'space-2')))).reason).to.equal('Forbidden');
      await t.admin.create(role('local', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['list'] }]));
      await alice.create(binding('local', { apiGroup: rbac, kind: 'Role', name: 'local' }));
    });

    it('allows binding with the bind verb on that role only', async () => {
      await grant('rbac-writer', [rbacWriter], 'space-1');
      await grant('bind-all', [{ apiGroups: [rbac], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['all'] }], 'space-1');
      await alice.create(binding('via-bind', toClusterRole('all')));
      await t.admin.create({
        kind: 'ClusterRole',
        metadata: { name: 'secrets' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      });
      expect((await rejection(alice.create(binding('other', toClusterRole('secrets'))))).reason).to.equal('Forbidden');
    });

    it('answers NotFound for a missing role the user may not bind', async () => {
      await grant('rbac-writer', [rbacWriter], 'space-1');
      expect(await rejection(alice.create(binding('b', toClusterRole('missing'))))).to.deep.equal({
        reason: 'NotFound',
        message: 'rolebindings.rbac.authorization.k8s.io "missing" not found',
      });
      await grant('bind-any', [{ apiGroups: [rbac], resources: ['clusterroles'], verbs: ['bind'] }], 'space-1');
      await alice.create(binding('b', toClusterRole('missing')));
    });

    it('needs cluster-wide rules or bind for a ClusterRoleBinding', async () => {
      await grant('cluster-rbac-writer', [clusterRbacWriter]);
      await grant('reader', [appReader], 'space-1');
      const clusterBinding = {
        kind: 'ClusterRoleBinding' as const,
        metadata: { name: 'cb' },
        subjects: [{ kind: 'User' as const, name: 'alice' }],
        roleRef: toClusterRole('app-reader'),
      };
      expect((await rejection(alice.create(clusterBinding))).reason).to.equal('Forbidden');
      await grant('bind-reader', [{ apiGroups: [rbac], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['app-reader'] }]);
      await alice.create(clusterBinding);
    });

    it('counts non-resource URLs the user holds through a binding in that namespace', async () => {
      await grant('rbac-writer', [rbacWriter], 'space-1');
      await grant('healthz', [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }], 'space-1');
      await t.admin.create({
        kind: 'ClusterRole',
        metadata: { name: 'healthz-too' },
        rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }],
      });
      await alice.create(binding('h', toClusterRole('healthz-too')));
      await t.admin.create({
        kind: 'ClusterRole',
        metadata: { name: 'metrics' },
        rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
      });
      expect((await rejection(alice.create(binding('m', toClusterRole('metrics'))))).reason).to.equal('Forbidden');
    });

    it('checks an update of a binding too, unless it only changes owners or finalizers', async () => {
      await grant('rbac-writer', [rbacWriter], 'space-1');
      const stored = await t.admin.create(binding('admin-made', toClusterRole('all')));
      await alice.update({ ...stored, metadata: { ...stored.metadata, finalizers: ['example.com/keep'] } });
      const current = await t.admin.get({ kind: 'RoleBinding', namespace: 'space-1', name: 'admin-made' });
      expect((await rejection(alice.update({ ...current, subjects: [{ kind: 'User', name: 'mallory' }] }))).reason).to.equal('Forbidden');
    });
  });
});
