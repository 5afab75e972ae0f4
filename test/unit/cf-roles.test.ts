import { loadYaml, type V1ClusterRole } from '@kubernetes/client-node';
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import { cfRoleOfClusterRole, cfRoles, type CfRoleName } from '../../src/domain/roles/cf-roles.ts';
import {
  cfRoleNameProblems,
  grantKey,
  grantsOf,
  loadClusterRoleManifests,
  type ClusterRoleManifest,
  type Grant,
} from '../../src/domain/roles/cluster-role-manifests.ts';
import { deterministicGuid } from '../../src/domain/guids.ts';
import { defaultDomainGuid } from '../../src/domain/platform/default-domain.ts';
import { kinds, korifiKindNames } from '../../src/store/kinds.ts';

const manifests = await loadClusterRoleManifests();
const roleNames = Object.keys(cfRoles) as CfRoleName[];

function manifestOf(role: CfRoleName): ClusterRoleManifest {
  const manifest = manifests.find((candidate) => candidate.metadata.name === cfRoles[role].clusterRole);
  if (!manifest) throw new Error(`no ClusterRole for ${role}`);
  return manifest;
}

/** The verbs a role grants on one resource, as a set. */
function verbsOn(role: CfRoleName, apiGroup: string, resource: string): Set<string> {
  const grants = grantsOf(manifestOf(role).rules).filter((grant) => grant.apiGroup === apiGroup && grant.resource === resource);
  return new Set(grants.map((grant) => grant.verb));
}

/** The (group, resource) pairs a role grants anything on. */
function resourcesOf(role: CfRoleName): { apiGroup: string; resource: string }[] {
  const pairs = new Map(
    grantsOf(manifestOf(role).rules).map(({ apiGroup, resource }) => [`${apiGroup}/${resource}`, { apiGroup, resource }]),
  );
  return [...pairs.values()];
}

/**
 * What the server needs of any role, whatever its resources: a verb it writes with implies the verbs it
 * reads with. `implied` maps a held verb to the verbs that must come with it.
 */
function missingImpliedVerbs(role: CfRoleName, implied: (resource: string, verb: string) => string[]): string[] {
  return resourcesOf(role).flatMap(({ apiGroup, resource }) => {
    const held = verbsOn(role, apiGroup, resource);
    return [...held].flatMap((verb) =>
      implied(resource, verb)
        .filter((needed) => !held.has(needed))
        .map((needed) => `${role}: ${verb} on ${apiGroup || 'core'}/${resource} without ${needed}`),
    );
  });
}

const korifiGroup = 'korifi.cloudfoundry.org';
/** Kinds the server creates and then waits on (until Ready), which takes list and watch. */
const waitedOn = new Set(['cforgs', 'cfspaces']);

describe('CF role ClusterRoles (deploy/helm/cf-k8s-api/files/cf-roles)', () => {
  it('are exactly the ClusterRoles of the twelve CF roles', () => {
    const names = manifests.map((manifest) => manifest.metadata.name);
    expect(names).to.have.members(roleNames.map((role) => cfRoles[role].clusterRole));
    expect(cfRoleNameProblems(names)).to.deep.equal([]);
  });

  it('names what breaks the set: a missing role, a foreign one, a duplicate', () => {
    const names = manifests.map((manifest) => manifest.metadata.name).filter((name) => name !== cfRoles.space_auditor.clusterRole);
    expect(cfRoleNameProblems([...names, 'cluster-admin', names[0]!])).to.deep.equal([
      'no ClusterRole korifi-controllers-space-auditor',
      'ClusterRole cluster-admin carries no CF role',
      'ClusterRole korifi-controllers-admin is defined twice',
    ]);
  });

  it('are labelled as ours and carry their CF role by name', () => {
    for (const manifest of manifests) {
      expect(manifest.metadata.labels, manifest.metadata.name).to.deep.include({ 'app.kubernetes.io/part-of': 'cf-k8s-api' });
      expect(cfRoleOfClusterRole(manifest.metadata.name), manifest.metadata.name).to.be.a('string');
    }
  });

  it('give admin every grant of every other role, so an admin may bind any of them', () => {
    const adminGrants = new Set(grantsOf(manifestOf('admin').rules).map(grantKey));
    const missing = roleNames.flatMap((role) =>
      grantsOf(manifestOf(role).rules)
        .filter((grant: Grant) => !adminGrants.has(grantKey(grant)))
        .map((grant) => `${role}: ${grantKey(grant)}`),
    );
    expect(missing).to.deep.equal([]);
  });

  it('let admin manage CF roles (rolebindings) and read every Korifi kind we store', () => {
    expect([...verbsOn('admin', 'rbac.authorization.k8s.io', 'rolebindings')]).to.include.members(['get', 'list', 'create', 'delete']);
    const stored = korifiKindNames.map((name) => kinds[name].plural);
    for (const plural of stored) expect([...verbsOn('admin', korifiGroup, plural)], plural).to.include.members(['get', 'list']);
    expect([...verbsOn('admin', '', 'secrets')]).to.include.members(['get', 'create', 'patch']);
  });

  it('grant get wherever they grant create or patch (writes are read back first)', () => {
    const problems = roleNames.flatMap((role) =>
      missingImpliedVerbs(role, (_resource, verb) => (verb === 'create' || verb === 'patch' ? ['get'] : [])),
    );
    expect(problems).to.deep.equal([]);
  });

  it('grant list and watch wherever they create a kind the server waits on', () => {
    const problems = roleNames.flatMap((role) =>
      missingImpliedVerbs(role, (resource, verb) => (verb === 'create' && waitedOn.has(resource) ? ['list', 'watch'] : [])),
    );
    expect(problems).to.deep.equal([]);
    // The roles that create orgs and spaces at all.
    expect(verbsOn('admin', korifiGroup, 'cforgs').has('create')).to.equal(true);
    expect(verbsOn('organization_manager', korifiGroup, 'cfspaces').has('create')).to.equal(true);
  });

  it('let cf_user read orgs (and watch them) and domains in the root namespace', () => {
    expect([...verbsOn('cf_user', korifiGroup, 'cforgs')]).to.include.members(['get', 'list', 'watch']);
    expect([...verbsOn('cf_user', korifiGroup, 'cfdomains')]).to.include.members(['get', 'list']);
  });

  it('keep the read-only roles read-only, and secrets from auditors', () => {
    const writes = ['create', 'update', 'patch', 'delete', 'deletecollection', 'bind', 'escalate', 'impersonate'];
    for (const role of [
      'admin_read_only',
      'global_auditor',
      'organization_auditor',
      'organization_billing_manager',
      'space_auditor',
    ] as const) {
      const written = grantsOf(manifestOf(role).rules).filter((grant) => writes.includes(grant.verb));
      expect(written.map(grantKey), role).to.deep.equal([]);
    }
    for (const role of ['global_auditor', 'organization_auditor', 'space_auditor', 'space_supporter'] as const) {
      expect(verbsOn(role, '', 'secrets').size, role).to.equal(0);
    }
  });

  it('convert to client-node models without losing rules', () => {
    for (const manifest of manifests) {
      const model = loadYaml<V1ClusterRole>(JSON.stringify(manifest));
      expect(model.rules?.map((rule) => ({ apiGroups: rule.apiGroups, resources: rule.resources, verbs: rule.verbs }))).to.deep.equal(
        manifest.rules,
      );
    }
  });
});

describe('loadClusterRoleManifests', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cfapi-cf-roles-'));
  });

  afterEach(async () => rm(directory, { recursive: true, force: true }));

  const role = (name: string, rules: string) =>
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${name}\nrules:\n${rules}\n`;

  it('refuses a file that is not a ClusterRole', async () => {
    await writeFile(join(directory, 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    await expectRejection(loadClusterRoleManifests(directory), /a\.yaml is not an rbac.authorization.k8s.io\/v1 ClusterRole/);
  });

  it('refuses wildcards, resource names and empty lists in rules', async () => {
    for (const rules of [
      "  - apiGroups: ['*']\n    resources: [cfapps]\n    verbs: [get]",
      '  - apiGroups: [x]\n    resources: [cfapps]\n    verbs: [get]\n    resourceNames: [one]',
      '  - apiGroups: [x]\n    resources: []\n    verbs: [get]',
    ]) {
      await writeFile(join(directory, 'a.yaml'), role('korifi-controllers-admin', rules));
      await expectRejection(loadClusterRoleManifests(directory), /rules\[0\] needs non-empty apiGroups/);
    }
  });

  it('refuses a directory without every CF role', async () => {
    await writeFile(
      join(directory, 'a.yaml'),
      role('korifi-controllers-admin', '  - apiGroups: [x]\n    resources: [y]\n    verbs: [get]'),
    );
    await expectRejection(loadClusterRoleManifests(directory), /no ClusterRole korifi-controllers-admin-read-only/);
  });
});

describe('deterministicGuid', () => {
  it('is a UUIDv5 that depends on its parts only', () => {
    const guid = deterministicGuid('apps.example.com');
    expect(isUuid(guid)).to.equal(true);
    expect(uuidVersion(guid)).to.equal(5);
    expect(deterministicGuid('apps.example.com')).to.equal(guid);
    expect(deterministicGuid('apps.example.org')).not.to.equal(guid);
    expect(defaultDomainGuid('apps.example.com')).to.equal(guid);
  });

  it('keeps the boundaries between parts', () => {
    expect(deterministicGuid('a:b', 'c')).not.to.equal(deterministicGuid('a', 'b:c'));
    expect(deterministicGuid('ab')).not.to.equal(deterministicGuid('a', 'b'));
  });
});

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'expected a rejection').to.be.instanceOf(Error);
  expect((error as Error).message).to.match(message);
}
