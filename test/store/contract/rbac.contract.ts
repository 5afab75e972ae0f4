import { expect } from 'chai';
import { createNamespace, eventually, grantInNamespace, uniqueName, type StoreFixture } from '../fixture.ts';
import { expectStoreError } from './expect-store-error.ts';
import { newApp } from './objects.ts';

const korifi = 'korifi.cloudfoundry.org';
const rbacGroup = 'rbac.authorization.k8s.io';

export function rbacContract(fixture: () => StoreFixture): void {
  describe('authorization (RBAC)', () => {
    let own: string;
    let foreign: string;
    let appName: string;
    let foreignAppName: string;

    before(async () => {
      own = await createNamespace(fixture());
      foreign = await createNamespace(fixture());
      const session = fixture().store.privileged();
      appName = (await session.create(newApp(own))).metadata.name;
      foreignAppName = (await session.create(newApp(foreign))).metadata.name;
    });

    it('denies a user without any binding everything', async () => {
      const user = fixture().store.as(await fixture().newUser());
      await expectStoreError(user.get({ kind: 'CFApp', namespace: own, name: appName }), 'Forbidden');
      await expectStoreError(user.get({ kind: 'CFApp', namespace: own, name: 'does-not-exist' }), 'Forbidden');
      await expectStoreError(user.list('CFApp', { namespace: own }), 'Forbidden');
      await expectStoreError(user.create(newApp(own)), 'Forbidden');
      await expectStoreError(user.delete({ kind: 'CFApp', namespace: own, name: appName }), 'Forbidden');
    });

    it('allows exactly what a RoleBinding grants, in its namespace only', async () => {
      const identity = await fixture().newUser();
      await grantInNamespace(fixture(), identity, own, [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'list'] }]);
      const user = fixture().store.as(identity);
      const read = await eventually(() => user.get({ kind: 'CFApp', namespace: own, name: appName }));
      expect(read.metadata.name).to.equal(appName);
      expect((await user.list('CFApp', { namespace: own })).items.map((item) => item.metadata.name)).to.include(appName);
      await expectStoreError(user.get({ kind: 'CFApp', namespace: foreign, name: foreignAppName }), 'Forbidden');
      await expectStoreError(user.list('CFApp'), 'Forbidden'); // all namespaces needs a cluster-wide grant
      await expectStoreError(user.create(newApp(own)), 'Forbidden');
      await expectStoreError(
        user.patch({ kind: 'CFApp', namespace: own, name: appName }, { metadata: { labels: { a: 'b' } } }),
        'Forbidden',
      );
      await expectStoreError(user.get({ kind: 'CFSpace', namespace: own, name: 'x' }), 'Forbidden');
      await expectStoreError(user.get({ kind: 'Secret', namespace: own, name: 'x' }), 'Forbidden');
    });

    it('answers access questions as the grants decide, without acting', async () => {
      const identity = await fixture().newUser();
      await grantInNamespace(fixture(), identity, own, [
        { apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'create'] },
        { apiGroups: [korifi], resources: ['cfspaces'], verbs: ['patch'], resourceNames: ['only-this'] },
      ]);
      const user = fixture().store.as(identity);
      await eventually(async () => expect(await user.canI('create', { kind: 'CFApp', namespace: own })).to.equal(true));
      expect(await user.canI('delete', { kind: 'CFApp', namespace: own })).to.equal(false);
      expect(await user.canI('create', { kind: 'CFApp', namespace: foreign })).to.equal(false);
      expect(await user.canI('list', { kind: 'CFApp' })).to.equal(false);
      expect(await user.canI('patch', { kind: 'CFSpace', namespace: own, name: 'only-this' })).to.equal(true);
      expect(await user.canI('patch', { kind: 'CFSpace', namespace: own, name: 'another' })).to.equal(false);
      expect(await fixture().store.privileged().canI('delete', { kind: 'CFApp', namespace: foreign })).to.equal(true);
      // Asking created nothing: the namespace still holds only the app made before these tests.
      expect((await fixture().store.privileged().list('CFApp', { namespace: own })).items).to.have.length(1);
    });

    it('separates the status subresource and honours resourceNames', async () => {
      const identity = await fixture().newUser();
      await grantInNamespace(fixture(), identity, own, [
        { apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'patch'], resourceNames: [appName] },
        { apiGroups: [korifi], resources: ['cfapps/status'], verbs: ['patch'] },
      ]);
      const user = fixture().store.as(identity);
      const ref = { kind: 'CFApp' as const, namespace: own, name: appName };
      await eventually(() => user.patch(ref, { metadata: { labels: { touched: 'yes' } } }));
      await user.patchStatus(ref, { actualState: 'STOPPED' });
      const other = (await fixture().store.privileged().create(newApp(own))).metadata.name;
      await expectStoreError(user.get({ kind: 'CFApp', namespace: own, name: other }), 'Forbidden');
      await expectStoreError(user.list('CFApp', { namespace: own }), 'Forbidden');
    });

    it('grants through a ClusterRole bound in one namespace, and to a group', async () => {
      const clusterRole = uniqueName('cfapi-test-reader');
      const group = uniqueName('group');
      const session = fixture().store.privileged();
      await session.create({
        kind: 'ClusterRole',
        metadata: { name: clusterRole },
        rules: [{ apiGroups: [korifi], resources: ['*'], verbs: ['get'] }],
      });
      await session.create({
        kind: 'RoleBinding',
        metadata: { name: clusterRole, namespace: own },
        subjects: [{ kind: 'Group', name: group, apiGroup: rbacGroup }],
        roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name: clusterRole },
      });
      const member = fixture().store.as(await fixture().newUser([group]));
      await eventually(() => member.get({ kind: 'CFApp', namespace: own, name: appName }));
      await expectStoreError(member.get({ kind: 'CFApp', namespace: foreign, name: foreignAppName }), 'Forbidden');
      const outsider = fixture().store.as(await fixture().newUser());
      await expectStoreError(outsider.get({ kind: 'CFApp', namespace: own, name: appName }), 'Forbidden');
    });

    it('grants everywhere through a ClusterRoleBinding, and takes it back when the binding goes', async () => {
      const name = uniqueName('cfapi-test-lister');
      const session = fixture().store.privileged();
      const identity = await fixture().newUser();
      await session.create({
        kind: 'ClusterRole',
        metadata: { name },
        rules: [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['list'] }],
      });
      await session.create({
        kind: 'ClusterRoleBinding',
        metadata: { name },
        subjects: [{ kind: 'User', name: identity.name, apiGroup: rbacGroup }],
        roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name },
      });
      const user = fixture().store.as(identity);
      const everywhere = await eventually(() => user.list('CFApp'));
      expect(everywhere.items.map((item) => item.metadata.name)).to.include.members([appName, foreignAppName]);
      await session.delete({ kind: 'ClusterRoleBinding', name });
      await eventually(() => expectStoreError(user.list('CFApp'), 'Forbidden'));
    });

    it('lets the privileged session do anything', async () => {
      const session = fixture().store.privileged();
      expect((await session.list('CFApp')).items.length).to.be.greaterThan(1);
    });
  });
}

/** Kubernetes refuses RBAC writes that would grant more than the writer holds (escalation prevention). */
export function rbacEscalationContract(fixture: () => StoreFixture): void {
  describe('RBAC escalation prevention', () => {
    it('lets a user grant only what they hold themselves', async () => {
      const namespace = await createNamespace(fixture());
      const identity = await fixture().newUser();
      const manageRbac = { apiGroups: [rbacGroup], resources: ['roles', 'rolebindings'], verbs: ['create', 'get'] };
      await grantInNamespace(fixture(), identity, namespace, [manageRbac]);
      const user = fixture().store.as(identity);
      const subject = { kind: 'User' as const, name: identity.name, apiGroup: rbacGroup };
      const secretsReader = {
        kind: 'Role' as const,
        metadata: { name: uniqueName('secrets'), namespace },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      };
      await eventually(() => expectStoreError(user.create(secretsReader), 'Forbidden'));
      const privileged = fixture().store.privileged();
      await privileged.create(secretsReader);
      await expectStoreError(
        user.create({
          kind: 'RoleBinding',
          metadata: { name: uniqueName('bind'), namespace },
          subjects: [subject],
          roleRef: { apiGroup: rbacGroup, kind: 'Role', name: secretsReader.metadata.name },
        }),
        'Forbidden',
      );
      const ownRights = { kind: 'Role' as const, metadata: { name: uniqueName('own'), namespace }, rules: [manageRbac] };
      const created = await user.create(ownRights);
      expect(created.metadata.name).to.equal(ownRights.metadata.name);
      await user.create({
        kind: 'RoleBinding',
        metadata: { name: uniqueName('bind'), namespace },
        subjects: [subject],
        roleRef: { apiGroup: rbacGroup, kind: 'Role', name: ownRights.metadata.name },
      });
    });
  });
}
