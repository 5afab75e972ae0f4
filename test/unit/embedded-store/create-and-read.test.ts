import { expect } from 'chai';
import type { StoredObject } from '../../../src/store/objects.ts';
import { app, namespace, rejection, testStore, type TestStore } from './store-fixtures.ts';

const rfc3339Seconds = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('embedded store: create, get and list', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await testStore();
    await t.admin.create(namespace('space-1'));
  });
  afterEach(async () => t.dispose());

  describe('create', () => {
    it('fills in the server-owned metadata', async () => {
      const created = await t.admin.create(app('space-1', 'app-1'));
      expect(created.apiVersion).to.equal('korifi.cloudfoundry.org/v1alpha1');
      expect(created.metadata.uid).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(created.metadata.resourceVersion).to.match(/^[1-9]\d*$/);
      expect(created.metadata.generation).to.equal(1);
      expect(created.metadata.creationTimestamp).to.match(rfc3339Seconds);
      expect(created.metadata.managedFields).to.have.length(1);
      expect(created.metadata.managedFields![0]).to.deep.include({ operation: 'Update', time: created.metadata.creationTimestamp });
      expect(await t.admin.get({ kind: 'CFApp', namespace: 'space-1', name: 'app-1' })).to.deep.equal(created);
    });

    it('replaces what the client claims for server-owned metadata', async () => {
      const claimed = app('space-1', 'app-1');
      claimed.metadata = {
        ...claimed.metadata,
        uid: 'mine',
        generation: 7,
        creationTimestamp: '2000-01-01T00:00:00Z',
        deletionTimestamp: '2000-01-01T00:00:00Z',
      };
      const created = await t.admin.create(claimed);
      expect(created.metadata.uid).not.to.equal('mine');
      expect(created.metadata).to.include({ generation: 1 });
      expect(created.metadata.creationTimestamp).not.to.equal('2000-01-01T00:00:00Z');
      expect(created.metadata.deletionTimestamp).to.equal(undefined);
    });

    it('refuses a resourceVersion on a new object', async () => {
      const claimed = app('space-1', 'app-1');
      claimed.metadata.resourceVersion = '5';
      expect((await rejection(t.admin.create(claimed))).reason).to.equal('Invalid');
    });

    it('gives core kinds no generation', async () => {
      const secret = await t.admin.create({ kind: 'Secret', metadata: { name: 's', namespace: 'space-1' }, data: {} });
      expect(secret.metadata.generation).to.equal(undefined);
    });

    it('hands out one global, rising resourceVersion per write', async () => {
      const versions = [];
      versions.push((await t.admin.create(app('space-1', 'a'))).metadata.resourceVersion);
      versions.push((await t.admin.create({ kind: 'Secret', metadata: { name: 's', namespace: 'space-1' } })).metadata.resourceVersion);
      versions.push((await t.admin.create(namespace('space-2'))).metadata.resourceVersion);
      const numbers = versions.map(Number);
      expect(numbers).to.deep.equal([numbers[0], numbers[0]! + 1, numbers[0]! + 2]);
      expect((await t.admin.list('CFApp')).resourceVersion).to.equal(versions[2]);
    });

    it('drops the status of a kind with a status subresource', async () => {
      const withStatus = { ...app('space-1', 'app-1'), status: { actualState: 'STARTED' as const } };
      const created = await t.admin.create(withStatus);
      expect(created).not.to.have.property('status');
    });

    it('answers AlreadyExists for an existing name', async () => {
      await t.admin.create(app('space-1', 'app-1'));
      expect(await rejection(t.admin.create(app('space-1', 'app-1')))).to.deep.equal({
        reason: 'AlreadyExists',
        message: 'cfapps "app-1" already exists',
      });
    });

    it('allows the same name in another namespace', async () => {
      await t.admin.create(namespace('space-2'));
      await t.admin.create(app('space-1', 'app-1'));
      await t.admin.create(app('space-2', 'app-1'));
      expect((await t.admin.list('CFApp')).items).to.have.length(2);
    });

    for (const [what, name] of [
      ['upper case', 'App-1'],
      ['underscores', 'app_1'],
      ['a leading dash', '-app'],
      ['more than 253 characters', 'a'.repeat(254)],
      ['an empty name', ''],
    ] as const) {
      it(`refuses a name with ${what}`, async () => {
        expect((await rejection(t.admin.create(app('space-1', name)))).reason).to.equal('Invalid');
      });
    }

    it('says what is wrong with a name as the apiserver does', async () => {
      const { message } = await rejection(t.admin.create(app('space-1', 'App_1')));
      expect(message).to.match(
        /^CFApp\.korifi\.cloudfoundry\.org "App_1" is invalid: metadata\.name: Invalid value: "App_1": a lowercase RFC 1123 subdomain/,
      );
    });

    it('takes subdomain names (with dots) but only DNS labels for namespaces', async () => {
      await t.admin.create({ ...app('space-1', 'my.app'), spec: { ...app('space-1', 'my-app').spec } });
      expect((await rejection(t.admin.create(namespace('my.space')))).reason).to.equal('Invalid');
      expect((await rejection(t.admin.create(namespace('a'.repeat(64))))).reason).to.equal('Invalid');
      await t.admin.create(namespace('a'.repeat(63)));
    });

    it('takes any path-segment name for RBAC objects', async () => {
      await t.admin.create({ kind: 'ClusterRole', metadata: { name: 'system:Controller_x' }, rules: [] });
      expect((await rejection(t.admin.create({ kind: 'ClusterRole', metadata: { name: 'a/b' }, rules: [] }))).reason).to.equal('Invalid');
    });

    for (const [what, labels] of [
      ['a key with spaces', { 'bad key': 'x' }],
      ['a key with two slashes', { 'a/b/c': 'x' }],
      ['an upper-case prefix', { 'Example.com/x': 'x' }],
      ['a 64-character name part', { ['k'.repeat(64)]: 'x' }],
      ['a value with spaces', { key: 'a b' }],
      ['a 64-character value', { key: 'v'.repeat(64) }],
      ['a value ending in a dash', { key: 'value-' }],
    ] as const) {
      it(`refuses a label with ${what}`, async () => {
        const { reason, message } = await rejection(t.admin.create(app('space-1', 'app-1', { labels })));
        expect(reason).to.equal('Invalid');
        expect(message).to.contain('metadata.labels: Invalid value');
      });
    }

    it('takes labels Kubernetes takes', async () => {
      const labels = { 'korifi.cloudfoundry.org/app-guid': 'a_B.c-1', empty: '', ['k'.repeat(63)]: 'v'.repeat(63) };
      expect((await t.admin.create(app('space-1', 'app-1', { labels }))).metadata.labels).to.deep.equal(labels);
    });

    it('refuses bad annotation keys, finalizers and owner references', async () => {
      const annotated = app('space-1', 'a1');
      annotated.metadata.annotations = { 'no spaces please': 'x' };
      expect((await rejection(t.admin.create(annotated))).reason).to.equal('Invalid');
      expect((await rejection(t.admin.create(app('space-1', 'a2', { finalizers: ['bad finalizer'] })))).reason).to.equal('Invalid');
      const owned = app('space-1', 'a3');
      owned.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Secret', name: 'x', uid: '' }];
      expect((await rejection(t.admin.create(owned))).reason).to.equal('Invalid');
    });

    it('takes owner reference apiVersions only as <version> or <group>/<version>', async () => {
      const owned = (name: string, apiVersion: string) => {
        const object = app('space-1', name);
        object.metadata.ownerReferences = [{ apiVersion, kind: 'CFOrg', name: 'o', uid: 'u' }];
        return object;
      };
      expect(await rejection(t.admin.create(owned('a1', 'bogus/x/y')))).to.deep.equal({
        reason: 'Invalid',
        message:
          'CFApp.korifi.cloudfoundry.org "a1" is invalid: metadata.ownerReferences[0].apiVersion: Invalid value: "bogus/x/y": must be <group>/<version> or <version>',
      });
      expect((await rejection(t.admin.create(owned('a2', 'group/')))).reason).to.equal('Invalid');
      expect((await rejection(t.admin.create(owned('a3', '/')))).reason).to.equal('Invalid');
      for (const [name, apiVersion] of [
        ['a4', 'v1'],
        ['a5', 'korifi.cloudfoundry.org/v1alpha1'],
        ['a6', '/v1'],
      ]) {
        await t.admin.create(owned(name!, apiVersion!));
      }
    });

    it('needs a namespace for a namespaced kind', async () => {
      const homeless = app('space-1', 'app-1');
      delete homeless.metadata.namespace;
      expect((await rejection(t.admin.create(homeless))).reason).to.equal('Invalid');
    });

    it('refuses content for a namespace that does not exist', async () => {
      expect(await rejection(t.admin.create(app('nowhere', 'app-1')))).to.deep.equal({
        reason: 'NotFound',
        message: 'namespaces "nowhere" not found',
      });
    });

    it('drops the namespace of a cluster-scoped object', async () => {
      const role = await t.admin.create({ kind: 'ClusterRole', metadata: { name: 'r', namespace: 'space-1' }, rules: [] });
      expect(role.metadata).not.to.have.property('namespace');
      expect(await t.admin.get({ kind: 'ClusterRole', name: 'r' })).to.deep.equal(role);
    });

    it('creates namespaces Active, with the kubernetes finalizer and the name label', async () => {
      const created = await t.admin.create(namespace('space-2', { team: 'a' }));
      expect(created.metadata.labels).to.deep.equal({ team: 'a', 'kubernetes.io/metadata.name': 'space-2' });
      expect(created.spec).to.deep.equal({ finalizers: ['kubernetes'] });
      expect(created.status).to.deep.equal({ phase: 'Active' });
    });

    it('folds stringData into base64 data and defaults the type of a Secret', async () => {
      const secret = await t.admin.create({
        kind: 'Secret',
        metadata: { name: 's', namespace: 'space-1' },
        data: { kept: Buffer.from('old').toString('base64'), replaced: Buffer.from('old').toString('base64') },
        stringData: { replaced: 'new ✓', added: '{"a":1}' },
      });
      expect(secret).not.to.have.property('stringData');
      expect(secret.type).to.equal('Opaque');
      expect(
        Object.fromEntries(Object.entries(secret.data!).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()])),
      ).to.deep.equal({
        kept: 'old',
        replaced: 'new ✓',
        added: '{"a":1}',
      });
    });

    it('refuses Secret data that is not base64', async () => {
      const { reason, message } = await rejection(
        t.admin.create({ kind: 'Secret', metadata: { name: 's', namespace: 'space-1' }, data: { a: 'not base64!' } }),
      );
      expect(reason).to.equal('Invalid');
      expect(message).to.contain('data[a]');
    });

    it('validates RBAC objects and applies their defaults', async () => {
      const { reason } = await rejection(
        t.admin.create({ kind: 'ClusterRole', metadata: { name: 'r' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: [] }] }),
      );
      expect(reason).to.equal('Invalid');
      const binding = await t.admin.create({
        kind: 'RoleBinding',
        metadata: { name: 'b', namespace: 'space-1' },
        subjects: [{ kind: 'User', name: 'alice' }],
        roleRef: { kind: 'ClusterRole', name: 'r' } as never,
      });
      expect(binding.subjects).to.deep.equal([{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }]);
      expect(binding.roleRef.apiGroup).to.equal('rbac.authorization.k8s.io');
      const roleInClusterBinding = {
        kind: 'ClusterRoleBinding' as const,
        metadata: { name: 'c' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role' as const, name: 'r' },
      };
      expect((await rejection(t.admin.create(roleInClusterBinding))).reason).to.equal('Invalid');
    });

    it('refuses an unknown kind or a wrong apiVersion', async () => {
      expect((await rejection(t.admin.create({ kind: 'Pod', metadata: { name: 'p' } } as never))).reason).to.equal('Invalid');
      expect((await rejection(t.admin.create({ ...app('space-1', 'a'), apiVersion: 'v1' }))).reason).to.equal('Invalid');
    });
  });

  describe('get', () => {
    it('answers NotFound in the apiserver words', async () => {
      expect(await rejection(t.admin.get({ kind: 'CFApp', namespace: 'space-1', name: 'nope' }))).to.deep.equal({
        reason: 'NotFound',
        message: 'cfapps "nope" not found',
      });
    });

    it('needs a namespace for a namespaced kind', async () => {
      expect((await rejection(t.admin.get({ kind: 'CFApp', name: 'nope' }))).reason).to.equal('Invalid');
    });

    it('returns a copy the caller may change', async () => {
      const first = await t.admin.create(app('space-1', 'app-1'));
      first.metadata.labels = { changed: 'yes' };
      const again = await t.admin.get({ kind: 'CFApp', namespace: 'space-1', name: 'app-1' });
      again.spec.displayName = 'changed';
      expect((await t.admin.get({ kind: 'CFApp', namespace: 'space-1', name: 'app-1' })).spec.displayName).to.equal('app-1');
      expect((await t.admin.get({ kind: 'CFApp', namespace: 'space-1', name: 'app-1' })).metadata.labels).to.equal(undefined);
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      await t.admin.create(namespace('space-0'));
      await t.admin.createAll([
        app('space-1', 'b', { labels: { tier: 'web', env: 'prod' } }),
        app('space-1', 'a', { labels: { tier: 'worker', env: 'prod' } }),
        app('space-0', 'z', { labels: { tier: 'web' } }),
        app('space-0', 'c', { labels: { env: '' } }),
      ]);
    });
    const names = (items: StoredObject[]) => items.map((item) => `${item.metadata.namespace}/${item.metadata.name}`);

    it('lists every namespace in etcd key order (namespace, then name)', async () => {
      expect(names((await t.admin.list('CFApp')).items)).to.deep.equal(['space-0/c', 'space-0/z', 'space-1/a', 'space-1/b']);
    });

    it('lists one namespace', async () => {
      expect(names((await t.admin.list('CFApp', { namespace: 'space-1' })).items)).to.deep.equal(['space-1/a', 'space-1/b']);
      expect((await t.admin.list('CFApp', { namespace: 'empty' })).items).to.deep.equal([]);
    });

    it('filters by name, in one namespace or all', async () => {
      expect(names((await t.admin.list('CFApp', { name: 'z' })).items)).to.deep.equal(['space-0/z']);
      expect(names((await t.admin.list('CFApp', { name: 'z', namespace: 'space-1' })).items)).to.deep.equal([]);
    });

    const selectorCases: [string, Parameters<TestStore['admin']['list']>[1], string[]][] = [
      ['equals', { labelSelector: [{ key: 'tier', operator: 'equals', value: 'web' }] }, ['space-0/z', 'space-1/b']],
      ['equals an empty value', { labelSelector: [{ key: 'env', operator: 'equals', value: '' }] }, ['space-0/c']],
      [
        'notEquals (includes objects without the label)',
        { labelSelector: [{ key: 'tier', operator: 'notEquals', value: 'web' }] },
        ['space-0/c', 'space-1/a'],
      ],
      ['in', { labelSelector: [{ key: 'tier', operator: 'in', values: ['worker', 'web'] }] }, ['space-0/z', 'space-1/a', 'space-1/b']],
      ['notIn', { labelSelector: [{ key: 'tier', operator: 'notIn', values: ['web'] }] }, ['space-0/c', 'space-1/a']],
      ['exists', { labelSelector: [{ key: 'env', operator: 'exists' }] }, ['space-0/c', 'space-1/a', 'space-1/b']],
      ['notExists', { labelSelector: [{ key: 'env', operator: 'notExists' }] }, ['space-0/z']],
      [
        'several requirements',
        {
          labelSelector: [
            { key: 'env', operator: 'equals', value: 'prod' },
            { key: 'tier', operator: 'notIn', values: ['worker'] },
          ],
        },
        ['space-1/b'],
      ],
      ['a selector in one namespace', { namespace: 'space-0', labelSelector: [{ key: 'tier', operator: 'exists' }] }, ['space-0/z']],
      ['a selector and a name', { name: 'b', labelSelector: [{ key: 'tier', operator: 'equals', value: 'web' }] }, ['space-1/b']],
      ['an empty selector', { labelSelector: [] }, ['space-0/c', 'space-0/z', 'space-1/a', 'space-1/b']],
    ];
    for (const [what, options, expected] of selectorCases) {
      it(`selects by ${what}`, async () => {
        expect(names((await t.admin.list('CFApp', options)).items)).to.deep.equal(expected);
      });
    }

    it('follows label changes', async () => {
      await t.admin.patch({ kind: 'CFApp', namespace: 'space-1', name: 'a' }, { metadata: { labels: { tier: 'web', env: null } } });
      const selector = { labelSelector: [{ key: 'tier', operator: 'equals' as const, value: 'web' }] };
      expect(names((await t.admin.list('CFApp', selector)).items)).to.deep.equal(['space-0/z', 'space-1/a', 'space-1/b']);
      expect(names((await t.admin.list('CFApp', { labelSelector: [{ key: 'env', operator: 'exists' }] })).items)).to.deep.equal([
        'space-0/c',
        'space-1/b',
      ]);
    });

    it('returns the current resourceVersion', async () => {
      const { resourceVersion } = await t.admin.list('CFApp');
      const created = await t.admin.create(app('space-1', 'new'));
      expect(Number(created.metadata.resourceVersion)).to.equal(Number(resourceVersion) + 1);
      expect((await t.admin.list('Secret')).resourceVersion).to.equal(created.metadata.resourceVersion);
    });
  });
});
