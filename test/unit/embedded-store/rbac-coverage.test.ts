import { expect } from 'chai';
import type { PolicyRule } from '../../../src/store/objects.ts';
import { uncoveredRules } from '../../../src/store/embedded/rbac-coverage.ts';
import { notHeldMessage } from '../../../src/store/embedded/rbac-grant-message.ts';

const korifi = 'korifi.cloudfoundry.org';
const covers = (owner: PolicyRule[], rules: PolicyRule[]) => uncoveredRules(owner, rules).length === 0;

describe('RBAC rule coverage (escalation check)', () => {
  it('covers rules piece by piece, across several owner rules', () => {
    const owner = [
      { apiGroups: [korifi], resources: ['cfapps'], verbs: ['get'] },
      { apiGroups: [korifi], resources: ['cfapps'], verbs: ['list'] },
    ];
    expect(covers(owner, [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'list'] }])).to.equal(true);
    expect(uncoveredRules(owner, [{ apiGroups: [korifi], resources: ['cfapps', 'cfspaces'], verbs: ['get', 'delete'] }])).to.deep.equal([
      { apiGroups: [korifi], resources: ['cfapps'], verbs: ['delete'] },
      { apiGroups: [korifi], resources: ['cfspaces'], verbs: ['get'] },
      { apiGroups: [korifi], resources: ['cfspaces'], verbs: ['delete'] },
    ]);
  });

  it('lets owner wildcards cover anything, but a wildcard only by a wildcard', () => {
    const all = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
    expect(covers(all, [{ apiGroups: [korifi], resources: ['cfapps/status'], verbs: ['patch'], resourceNames: ['a'] }])).to.equal(true);
    const getAll = [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] }];
    expect(covers(getAll, [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['*'] }])).to.equal(false);
    expect(covers(getAll, [{ apiGroups: [korifi], resources: ['*'], verbs: ['get'] }])).to.equal(false);
  });

  it('covers a subresource by `*` with that subresource, not the resource by its subresource', () => {
    const anyStatus = [{ apiGroups: [korifi], resources: ['*/status'], verbs: ['patch'] }];
    expect(covers(anyStatus, [{ apiGroups: [korifi], resources: ['cfapps/status'], verbs: ['patch'] }])).to.equal(true);
    expect(covers(anyStatus, [{ apiGroups: [korifi], resources: ['cfapps'], verbs: ['patch'] }])).to.equal(false);
  });

  it('covers named rules by unnamed ones or the same names, never unnamed by named', () => {
    const named = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['a', 'b'] }];
    expect(covers(named, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['b'] }])).to.equal(true);
    expect(covers(named, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['c'] }])).to.equal(false);
    expect(covers(named, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }])).to.equal(false);
  });

  it('covers non-resource URLs only by URL rules, with `*` as a prefix wildcard', () => {
    const all = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
    expect(covers(all, [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }])).to.equal(false);
    const prefix = [{ nonResourceURLs: ['/metrics*'], verbs: ['get'] }];
    expect(covers(prefix, [{ nonResourceURLs: ['/metrics/cadvisor'], verbs: ['get'] }])).to.equal(true);
    expect(covers(prefix, [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }])).to.equal(false);
  });

  it('ignores rules that grant nothing (no groups, resources, URLs or verbs)', () => {
    expect(
      covers(
        [],
        [
          { apiGroups: [korifi], resources: [], verbs: ['get'] },
          { apiGroups: [korifi], resources: ['cfapps'], verbs: [] },
        ],
      ),
    ).to.equal(true);
  });

  it('words the missing rules as the apiserver does, verbs of one resource merged', () => {
    const missing = uncoveredRules(
      [],
      [
        { apiGroups: [korifi], resources: ['cfapps'], verbs: ['get', 'list'] },
        { nonResourceURLs: ['/x'], verbs: ['get'] },
      ],
    );
    expect(notHeldMessage({ name: 'alice', groups: ['a', 'system:authenticated'] }, missing)).to.equal(
      'user "alice" (groups=["a" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:["korifi.cloudfoundry.org"], Resources:["cfapps"], Verbs:["get" "list"]}\n' +
        '{NonResourceURLs:["/x"], Verbs:["get"]}',
    );
  });
});
