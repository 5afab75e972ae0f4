import { expect } from 'chai';
import type { Identity } from '../../src/auth/identity.ts';
import { bindingNames } from '../../src/domain/subjects.ts';
import type { StoredObject, Subject } from '../../src/store/objects.ts';
import { subjectNamesUser } from '../../src/store/rbac-subjects.ts';

const alice: Identity = { name: 'alice', kind: 'User', groups: ['developers'] };
const deployer: Identity = { name: 'system:serviceaccount:space-1:deployer', kind: 'ServiceAccount', groups: ['system:serviceaccounts'] };
const roleBinding = (namespace: string, subjects: Subject[]) =>
  ({
    kind: 'RoleBinding',
    metadata: { name: 'b', namespace },
    subjects,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'r' },
  }) as unknown as StoredObject<'RoleBinding'>;

describe('Which subjects name a user (one rule, the RBAC authorizer’s)', () => {
  // [case, subject, the binding's namespace (undefined: a ClusterRoleBinding), user, names them]
  const table: [string, Subject, string | undefined, Identity, boolean][] = [
    ['a User by name', { kind: 'User', name: 'alice' }, 'space-1', alice, true],
    ['a User by another name', { kind: 'User', name: 'bob' }, 'space-1', alice, false],
    ['a User named as the service account is', { kind: 'User', name: deployer.name }, 'space-1', deployer, true],
    ['a Group the user is in', { kind: 'Group', name: 'developers' }, 'space-1', alice, true],
    ['a Group the user is not in', { kind: 'Group', name: 'admins' }, 'space-1', alice, false],
    ['a ServiceAccount with its namespace', { kind: 'ServiceAccount', name: 'deployer', namespace: 'space-1' }, 'space-2', deployer, true],
    [
      'a ServiceAccount of another namespace',
      { kind: 'ServiceAccount', name: 'deployer', namespace: 'space-2' },
      'space-1',
      deployer,
      false,
    ],
    [
      'a ServiceAccount without namespace in a RoleBinding of its namespace',
      { kind: 'ServiceAccount', name: 'deployer' },
      'space-1',
      deployer,
      true,
    ],
    [
      'a ServiceAccount without namespace in a RoleBinding elsewhere',
      { kind: 'ServiceAccount', name: 'deployer' },
      'space-2',
      deployer,
      false,
    ],
    [
      'a ServiceAccount without namespace in a ClusterRoleBinding',
      { kind: 'ServiceAccount', name: 'deployer' },
      undefined,
      deployer,
      false,
    ],
    ['a ServiceAccount named like a user', { kind: 'ServiceAccount', name: 'alice', namespace: 'space-1' }, 'space-1', alice, false],
  ];

  for (const [description, subject, namespace, user, names] of table) {
    it(`${names ? 'names' : 'does not name'} the user: ${description}`, () => {
      expect(subjectNamesUser(subject, user, namespace)).to.equal(names);
      // Visibility decides with the same rule wherever a RoleBinding holds the subject.
      if (namespace !== undefined) expect(bindingNames(roleBinding(namespace, [subject]), user)).to.equal(names);
    });
  }

  it('lets a system group grant access but not make a namespace visible', () => {
    const everyone: Subject = { kind: 'Group', name: 'system:serviceaccounts' };
    expect(subjectNamesUser(everyone, deployer, 'space-1')).to.equal(true);
    expect(bindingNames(roleBinding('space-1', [everyone]), deployer)).to.equal(false);
  });
});
