import { expect } from 'chai';
import type { Identity } from '../../src/auth/identity.ts';
import { Visibility } from '../../src/domain/visibility.ts';
import type { KindName } from '../../src/store/kinds.ts';
import type { StoredObject } from '../../src/store/objects.ts';
import type { StoreSession } from '../../src/store/port.ts';

const root = 'cf';
const alice: Identity = { name: 'alice', kind: 'User', groups: ['team'] };

const binding = (namespace: string, subject: { kind: 'User' | 'Group'; name: string }): StoredObject<'RoleBinding'> => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'RoleBinding',
  metadata: { name: `${subject.name}-${namespace}`, namespace },
  subjects: [{ ...subject, apiGroup: 'rbac.authorization.k8s.io' }],
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'some-role' },
});

/** alice holds roles in the root namespace, org A and its space A1 (A2 only through a group); nothing in B. */
const bindings = [
  binding(root, { kind: 'User', name: 'alice' }),
  binding('org-a', { kind: 'User', name: 'alice' }),
  binding('space-a1', { kind: 'User', name: 'alice' }),
  binding('space-a2', { kind: 'Group', name: 'team' }),
  binding('space-b1', { kind: 'User', name: 'alice' }),
  binding('org-b', { kind: 'User', name: 'bob' }),
];

/** A server session that knows only the bindings (all that visibility reads) and counts its reads. */
function serverWith(objects: StoredObject[]): { session: StoreSession; reads: string[] } {
  const reads: string[] = [];
  const session = {
    list: (kind: KindName) => {
      reads.push(kind);
      return Promise.resolve({ items: objects.filter((object) => object.kind === kind), resourceVersion: '1' });
    },
  } as unknown as StoreSession;
  return { session, reads };
}

const placed = (kind: KindName, namespace: string, name: string) => ({ kind, metadata: { namespace, name } });

describe('visibility: the one rule for what a caller may see', () => {
  const visibility = () => new Visibility(serverWith(bindings).session, alice, root);

  it('an org is seen through the namespace it owns', async () => {
    expect(await visibility().sees(placed('CFOrg', root, 'org-a'))).to.equal(true);
    expect(await visibility().sees(placed('CFOrg', root, 'org-b'))).to.equal(false);
  });

  it('a space needs a role in its org and in itself', async () => {
    expect(await visibility().sees(placed('CFSpace', 'org-a', 'space-a1'))).to.equal(true);
    expect(await visibility().sees(placed('CFSpace', 'org-a', 'space-a2'))).to.equal(true);
    expect(await visibility().sees(placed('CFSpace', 'org-a', 'space-a3'))).to.equal(false);
    // A role in a space of an org the caller has no role in does not show the space.
    expect(await visibility().sees(placed('CFSpace', 'org-b', 'space-b1'))).to.equal(false);
  });

  it('anything else is seen through the namespace it lives in', async () => {
    expect(await visibility().sees(placed('CFApp', 'space-a1', 'app'))).to.equal(true);
    expect(await visibility().sees(placed('CFApp', 'space-a3', 'app'))).to.equal(false);
  });

  it('of the root namespace only orgs pass, though every CF user holds a role there', async () => {
    expect(await visibility().sees(placed('RoleBinding', root, 'someone-else-admin'))).to.equal(false);
    expect(await visibility().sees(placed('CFDomain', root, 'domain'))).to.equal(false);
    expect(await visibility().sees(placed('CFSpace', root, 'space-a1'))).to.equal(false);
  });

  it('system groups never make anything visible', async () => {
    const everyone = binding('org-b', { kind: 'Group', name: 'system:authenticated' });
    const caller = { ...alice, groups: ['system:authenticated'] };
    const view = new Visibility(serverWith([...bindings, everyone]).session, caller, root);
    expect(await view.sees(placed('CFOrg', root, 'org-b'))).to.equal(false);
  });

  it('filters a list, and makes no privileged list for a caller who sees nothing', async () => {
    const spaces = [placed('CFSpace', 'org-a', 'space-a1'), placed('CFSpace', 'org-b', 'space-b1')] as unknown as StoredObject[];
    const server = serverWith([...bindings, ...spaces]);
    const listed = await new Visibility(server.session, alice, root).list('CFSpace');
    expect(listed.map((space) => space.metadata.name)).to.deep.equal(['space-a1']);
    const nobody = serverWith([...bindings, ...spaces]);
    expect(await new Visibility(nobody.session, { name: 'carol', kind: 'User', groups: [] }, root).list('CFSpace')).to.deep.equal([]);
    expect(nobody.reads).to.deep.equal(['RoleBinding']);
  });

  it('sees for another user from the same read of the bindings', async () => {
    const server = serverWith(bindings);
    const view = new Visibility(server.session, alice, root);
    expect(await view.of({ name: 'bob', kind: 'User', groups: [] }).canSee('org-b')).to.equal(true);
    expect(await view.canSee('org-b')).to.equal(false);
    expect(server.reads).to.deep.equal(['RoleBinding']);
  });
});
