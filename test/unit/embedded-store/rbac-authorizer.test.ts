import { expect } from 'chai';
import type { PolicyRule, RoleRef, Subject } from '../../../src/store/objects.ts';
import {
  compilePolicy,
  isAllowed,
  type RbacObjects,
  type RequestAttributes,
  type UserInfo,
} from '../../../src/store/embedded/rbac-authorizer.ts';
import { RbacPolicy } from '../../../src/store/embedded/rbac-policy.ts';
import { requestAttributes } from '../../../src/store/embedded/request-attributes.ts';
import { userInfo } from '../../../src/store/embedded/embedded-session.ts';

const korifi = 'korifi.cloudfoundry.org';
const alice: UserInfo = userInfo('alice', []);
const bob: UserInfo = userInfo('bob', ['developers']);

const user = (name: string): Subject => ({ kind: 'User', name, apiGroup: 'rbac.authorization.k8s.io' });
const group = (name: string): Subject => ({ kind: 'Group', name, apiGroup: 'rbac.authorization.k8s.io' });
const clusterRole = (name: string, rules: PolicyRule[]) => ({ name, rules });
const role = (namespace: string, name: string, rules: PolicyRule[]) => ({ namespace, name, rules });
const toClusterRole = (name: string): RoleRef => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name });
const toRole = (name: string): RoleRef => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name });

const appReader: PolicyRule = { apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'list', 'watch'] };

function policy(objects: Partial<RbacObjects>) {
  return compilePolicy({ roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [], ...objects });
}

function request(verb: string, overrides: Partial<RequestAttributes> = {}): RequestAttributes {
  return { verb, apiGroup: korifi, resource: 'cfapps', namespace: 'space-1', name: 'app-1', ...overrides };
}

describe('RBAC authorizer', () => {
  it('denies everything without bindings', () => {
    expect(isAllowed(policy({ clusterRoles: [clusterRole('reader', [appReader])] }), alice, request('get'))).to.equal(false);
  });

  it('allows members of system:masters everything', () => {
    expect(isAllowed(policy({}), userInfo('admin', ['system:masters']), request('delete', { namespace: undefined }))).to.equal(true);
  });

  describe('bindings', () => {
    const objects: Partial<RbacObjects> = {
      clusterRoles: [clusterRole('reader', [appReader])],
      roles: [role('space-1', 'local-reader', [appReader]), role('space-2', 'only-in-space-2', [appReader])],
      clusterRoleBindings: [{ subjects: [user('carol')], roleRef: toClusterRole('reader') }],
      roleBindings: [
        { namespace: 'space-1', subjects: [user('alice')], roleRef: toClusterRole('reader') },
        { namespace: 'space-3', subjects: [user('alice')], roleRef: toRole('local-reader') },
        { namespace: 'space-1', subjects: [user('dave')], roleRef: toRole('local-reader') },
        { namespace: 'space-1', subjects: [user('erin')], roleRef: toRole('only-in-space-2') },
        { namespace: 'space-1', subjects: [user('frank')], roleRef: toClusterRole('missing') },
      ],
    };
    const table: [string, string, Partial<RequestAttributes>, boolean][] = [
      ['a ClusterRoleBinding', 'carol', {}, true],
      ['a ClusterRoleBinding, at the cluster scope', 'carol', { namespace: undefined }, true],
      ['a ClusterRoleBinding, in any namespace', 'carol', { namespace: 'elsewhere' }, true],
      ['a RoleBinding to a ClusterRole, in its namespace', 'alice', {}, true],
      ['a RoleBinding to a ClusterRole, in another namespace', 'alice', { namespace: 'space-2' }, false],
      ['a RoleBinding, at the cluster scope (all namespaces)', 'alice', { namespace: undefined }, false],
      ['a RoleBinding to a Role of its namespace', 'dave', {}, true],
      ['a RoleBinding to a Role that is not in its namespace', 'alice', { namespace: 'space-3' }, false],
      ['a RoleBinding to a Role of the same name in another namespace', 'erin', {}, false],
      ['a binding to a missing role', 'frank', {}, false],
      ['no binding for the user', 'zoe', {}, false],
    ];
    for (const [through, name, overrides, allowed] of table) {
      it(`${allowed ? 'allows' : 'denies'} through ${through}`, () => {
        expect(isAllowed(policy(objects), userInfo(name, []), request('get', overrides))).to.equal(allowed);
      });
    }

    it('ignores a ClusterRoleBinding that refers to a Role', () => {
      const objects = {
        roles: [role('space-1', 'reader', [appReader])],
        clusterRoleBindings: [{ subjects: [user('alice')], roleRef: toRole('reader') }],
      };
      expect(isAllowed(policy(objects), alice, request('get'))).to.equal(false);
    });

    it('combines the rules of every binding that applies', () => {
      const objects = {
        clusterRoles: [
          clusterRole('getter', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get'] }]),
          clusterRole('deleter', [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['delete'] }]),
        ],
        clusterRoleBindings: [{ subjects: [user('alice')], roleRef: toClusterRole('getter') }],
        roleBindings: [{ namespace: 'space-1', subjects: [group('developers'), user('alice')], roleRef: toClusterRole('deleter') }],
      };
      expect(isAllowed(policy(objects), alice, request('get'))).to.equal(true);
      expect(isAllowed(policy(objects), alice, request('delete'))).to.equal(true);
      expect(isAllowed(policy(objects), alice, request('delete', { namespace: 'space-2' }))).to.equal(false);
      expect(isAllowed(policy(objects), bob, request('delete'))).to.equal(true);
      expect(isAllowed(policy(objects), bob, request('get'))).to.equal(false);
    });
  });

  describe('subjects', () => {
    const bound = (subject: Subject, namespace?: string) =>
      namespace === undefined
        ? policy({
            clusterRoles: [clusterRole('reader', [appReader])],
            clusterRoleBindings: [{ subjects: [subject], roleRef: toClusterRole('reader') }],
          })
        : policy({
            clusterRoles: [clusterRole('reader', [appReader])],
            roleBindings: [{ namespace, subjects: [subject], roleRef: toClusterRole('reader') }],
          });
    const serviceAccount = userInfo('system:serviceaccount:space-1:deployer', ['system:serviceaccounts']);

    const table: [string, Subject, string | undefined, UserInfo, boolean][] = [
      ['a User by name', user('alice'), undefined, alice, true],
      ['a User by another name', user('alice'), undefined, bob, false],
      ['a Group the user is in', group('developers'), undefined, bob, true],
      ['a Group the user is not in', group('developers'), undefined, alice, false],
      ['system:authenticated, which every user is in', group('system:authenticated'), undefined, alice, true],
      [
        'a ServiceAccount by namespace and name',
        { kind: 'ServiceAccount', name: 'deployer', namespace: 'space-1' },
        undefined,
        serviceAccount,
        true,
      ],
      [
        'a ServiceAccount of another namespace',
        { kind: 'ServiceAccount', name: 'deployer', namespace: 'space-2' },
        undefined,
        serviceAccount,
        false,
      ],
      [
        'a ServiceAccount without namespace in a RoleBinding (its namespace)',
        { kind: 'ServiceAccount', name: 'deployer' },
        'space-1',
        serviceAccount,
        true,
      ],
      [
        'a ServiceAccount without namespace in a ClusterRoleBinding',
        { kind: 'ServiceAccount', name: 'deployer' },
        undefined,
        serviceAccount,
        false,
      ],
      ['a User named like the service account', user('deployer'), undefined, serviceAccount, false],
      ['an unknown subject kind', { kind: 'Robot', name: 'alice' } as unknown as Subject, undefined, alice, false],
    ];
    for (const [subject, binding, namespace, who, allowed] of table) {
      it(`${allowed ? 'matches' : 'does not match'} ${subject}`, () => {
        expect(isAllowed(bound(binding, namespace), who, request('get'))).to.equal(allowed);
      });
    }
  });

  describe('rules', () => {
    /** The authorizer's answer, which the policy cache must give too (its answers per verb and resource are kept). */
    const allows = (rule: PolicyRule, attributes: RequestAttributes) => {
      const objects: RbacObjects = {
        roles: [],
        clusterRoles: [clusterRole('r', [rule, { apiGroups: [korifi], resources: ['cfprocesses'], verbs: ['get'] }])],
        roleBindings: [],
        clusterRoleBindings: [{ subjects: [user('alice')], roleRef: toClusterRole('r') }],
      };
      const answer = isAllowed(compilePolicy(objects), alice, attributes);
      const cache = new RbacPolicy(() => objects);
      const otherName = { ...attributes, name: attributes.name === undefined ? 'other' : undefined };
      expect([cache.allows(alice, attributes), cache.allows(alice, otherName), cache.allows(alice, attributes)]).to.deep.equal([
        answer,
        isAllowed(compilePolicy(objects), alice, otherName),
        answer,
      ]);
      return answer;
    };
    const status = { subresource: 'status' };
    const table: [string, PolicyRule, RequestAttributes, boolean][] = [
      ['a listed verb', { apiGroups: [korifi], resources: ['cfapps'], verbs: ['get'] }, request('get'), true],
      ['an unlisted verb', { apiGroups: [korifi], resources: ['cfapps'], verbs: ['get'] }, request('list'), false],
      ['the verb wildcard', { apiGroups: [korifi], resources: ['cfapps'], verbs: ['*'] }, request('patch'), true],
      ['another API group', { apiGroups: ['apps'], resources: ['cfapps'], verbs: ['get'] }, request('get'), false],
      ['the API group wildcard', { apiGroups: ['*'], resources: ['cfapps'], verbs: ['get'] }, request('get'), true],
      ['no API groups', { resources: ['cfapps'], verbs: ['get'] }, request('get'), false],
      [
        'the core group',
        { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
        request('get', { apiGroup: '', resource: 'secrets' }),
        true,
      ],
      ['the core group for a Korifi resource', { apiGroups: [''], resources: ['cfapps'], verbs: ['get'] }, request('get'), false],
      ['another resource', { apiGroups: [korifi], resources: ['cfspaces'], verbs: ['get'] }, request('get'), false],
      ['the resource wildcard', { apiGroups: [korifi], resources: ['*'], verbs: ['get'] }, request('get'), true],
      [
        'the resource wildcard, for a subresource',
        { apiGroups: [korifi], resources: ['*'], verbs: ['update'] },
        request('update', status),
        true,
      ],
      ['the resource, for its status', { apiGroups: [korifi], resources: ['cfapps'], verbs: ['update'] }, request('update', status), false],
      [
        'resource/status, for the status',
        { apiGroups: [korifi], resources: ['cfapps/status'], verbs: ['update'] },
        request('update', status),
        true,
      ],
      [
        'resource/status, for the resource',
        { apiGroups: [korifi], resources: ['cfapps/status'], verbs: ['update'] },
        request('update'),
        false,
      ],
      ['*/status, for any status', { apiGroups: [korifi], resources: ['*/status'], verbs: ['patch'] }, request('patch', status), true],
      ['*/status, for the resource', { apiGroups: [korifi], resources: ['*/status'], verbs: ['patch'] }, request('patch'), false],
      ['*/scale, for the status', { apiGroups: [korifi], resources: ['*/scale'], verbs: ['patch'] }, request('patch', status), false],
    ];
    for (const [what, rule, attributes, allowed] of table) {
      it(`${allowed ? 'allows' : 'denies'} ${what}`, () => expect(allows(rule, attributes)).to.equal(allowed));
    }

    describe('with resourceNames', () => {
      const named: PolicyRule = { apiGroups: [korifi], resources: ['cfapps'], verbs: ['*'], resourceNames: ['app-1'] };
      const table: [string, RequestAttributes, boolean][] = [
        ['get of a named object', requestAttributes('get', { kind: 'CFApp', namespace: 'space-1', name: 'app-1' }), true],
        ['get of another object', requestAttributes('get', { kind: 'CFApp', namespace: 'space-1', name: 'app-2' }), false],
        ['update of a named object', requestAttributes('update', { kind: 'CFApp', namespace: 'space-1', name: 'app-1' }), true],
        ['delete of a named object', requestAttributes('delete', { kind: 'CFApp', namespace: 'space-1', name: 'app-1' }), true],
        ['create, even with the name', requestAttributes('create', { kind: 'CFApp', namespace: 'space-1', name: 'app-1' }), false],
        ['list of everything', requestAttributes('list', { kind: 'CFApp', namespace: 'space-1' }), false],
        ['watch of everything', requestAttributes('watch', { kind: 'CFApp', namespace: 'space-1' }), false],
        [
          'list of just that name (metadata.name field selector)',
          requestAttributes('list', { kind: 'CFApp', namespace: 'space-1', name: 'app-1' }),
          true,
        ],
        ['watch of just that name', requestAttributes('watch', { kind: 'CFApp', namespace: 'space-1', name: 'app-1' }), true],
      ];
      for (const [what, attributes, allowed] of table) {
        it(`${allowed ? 'allows' : 'denies'} ${what}`, () => expect(allows(named, attributes)).to.equal(allowed));
      }
    });
  });

  describe('request attributes', () => {
    it('describes namespaced, cluster-scoped and all-namespace requests', () => {
      expect(requestAttributes('get', { kind: 'CFApp', namespace: 'space-1', name: 'a' })).to.deep.include({
        verb: 'get',
        apiGroup: korifi,
        resource: 'cfapps',
        namespace: 'space-1',
        name: 'a',
      });
      expect(requestAttributes('list', { kind: 'CFApp' })).to.deep.include({ namespace: undefined, name: undefined });
      expect(requestAttributes('get', { kind: 'ClusterRole', namespace: 'ignored', name: 'r' })).to.deep.include({
        apiGroup: 'rbac.authorization.k8s.io',
        namespace: undefined,
      });
      expect(requestAttributes('update', { kind: 'CFApp', namespace: 'space-1', name: 'a' }, 'status')).to.deep.include({
        subresource: 'status',
      });
    });

    it('puts a request about one namespace inside that namespace, as its URL does', () => {
      expect(requestAttributes('get', { kind: 'Namespace', name: 'space-1' })).to.deep.include({ namespace: 'space-1', name: 'space-1' });
      expect(requestAttributes('delete', { kind: 'Namespace', name: 'space-1' })).to.deep.include({ namespace: 'space-1' });
      expect(requestAttributes('create', { kind: 'Namespace', name: 'space-1' })).to.deep.include({
        namespace: undefined,
        name: undefined,
      });
      expect(requestAttributes('list', { kind: 'Namespace', name: 'space-1' })).to.deep.include({ namespace: undefined, name: 'space-1' });
      const readsNamespaces = policy({
        clusterRoles: [clusterRole('ns-reader', [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get'] }])],
        roleBindings: [{ namespace: 'space-1', subjects: [user('alice')], roleRef: toClusterRole('ns-reader') }],
      });
      expect(isAllowed(readsNamespaces, alice, requestAttributes('get', { kind: 'Namespace', name: 'space-1' }))).to.equal(true);
      expect(isAllowed(readsNamespaces, alice, requestAttributes('get', { kind: 'Namespace', name: 'space-2' }))).to.equal(false);
    });
  });

  describe('compiled policy cache', () => {
    it('recompiles only when invalidated', () => {
      let loads = 0;
      let objects: RbacObjects = {
        roles: [],
        clusterRoles: [clusterRole('reader', [appReader])],
        roleBindings: [],
        clusterRoleBindings: [],
      };
      const cache = new RbacPolicy(() => {
        loads += 1;
        return objects;
      });
      expect(cache.allows(alice, request('get'))).to.equal(false);
      objects = { ...objects, clusterRoleBindings: [{ subjects: [user('alice')], roleRef: toClusterRole('reader') }] };
      expect(cache.allows(alice, request('get'))).to.equal(false);
      expect(cache.allows(bob, request('get'))).to.equal(false);
      expect(loads).to.equal(1);
      cache.invalidate();
      expect(cache.allows(alice, request('get'))).to.equal(true);
      expect(loads).to.equal(2);
    });
  });
});
