import { expect } from 'chai';
import type { Identity } from '../../src/auth/identity.ts';
import { RoleWarnings } from '../../src/domain/role-warnings.ts';
import type { StoredObject } from '../../src/store/objects.ts';
import type { Store } from '../../src/store/port.ts';

const identity = (name: string): Identity => ({ name, kind: 'User', groups: [] });

describe('RoleWarnings: who holds a root role, remembered', () => {
  let lists: number;
  let holders: string[];
  let clock: number;
  const binding = (name: string) =>
    ({
      kind: 'RoleBinding',
      metadata: { name: `cf-user-${name}`, namespace: 'cf' },
      subjects: [{ kind: 'User', name }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'korifi-controllers-root-namespace-user' },
    }) as unknown as StoredObject<'RoleBinding'>;
  const store = {
    privileged: () => ({
      list: async () => {
        lists += 1;
        return { items: holders.map(binding), resourceVersion: '1' };
      },
    }),
  } as unknown as Store;
  const make = (maxEntries = 10) => new RoleWarnings(store, 'cf', { maxEntries, now: () => clock });
  beforeEach(() => {
    lists = 0;
    holders = ['alice', 'bob', 'carol'];
    clock = 1_000_000;
  });

  it('asks once within two minutes, and again after them, when a role taken away shows', async () => {
    const warnings = make();
    expect(await warnings.warningsFor(identity('alice'))).to.deep.equal([]);
    holders = [];
    clock += 120_000;
    expect(await warnings.warningsFor(identity('alice'))).to.deep.equal([]);
    expect(lists).to.equal(1);
    clock += 1;
    expect(await warnings.warningsFor(identity('alice'))).to.have.length(1);
    expect(lists).to.equal(2);
  });

  it('never remembers more holders than its limit, keeping the most recently seen', async () => {
    const warnings = make(2);
    for (const name of ['alice', 'bob', 'alice', 'carol']) await warnings.warningsFor(identity(name));
    expect(lists).to.equal(3);
    await warnings.warningsFor(identity('alice'));
    expect(lists).to.equal(3);
    await warnings.warningsFor(identity('bob'));
    expect(lists).to.equal(4);
  });
});
