import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePlatformChanges, ensurePlatform, type PlatformOptions } from '../../src/domain/platform/bootstrap.ts';
import { defaultDomainGuid } from '../../src/domain/platform/default-domain.ts';
import { cfRoles, type CfRoleName } from '../../src/domain/roles/cf-roles.ts';
import { loadClusterRoleManifests } from '../../src/domain/roles/cluster-role-manifests.ts';
import { newRoleBinding } from '../../src/domain/roles/role-binding.ts';
import { openEmbeddedStore } from '../../src/store/embedded/embedded-store.ts';
import { withKorifiLabels } from '../../src/store/korifi-labels/labelled-store.ts';
import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';
import type { NewObject } from '../../src/store/objects.ts';
import type { Ref, Store, StoreSession, StoreUser } from '../../src/store/port.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { expectStoreError } from './contract/expect-store-error.ts';
import { newApp } from './contract/objects.ts';
import { createNamespace, eventually, uniqueName, type StoreFixture } from './fixture.ts';

/**
 * The CF roles' ClusterRoles and the platform bootstrap on both backends: what the roles let users do
 * under real RBAC (escalation prevention included), and that `ensurePlatform` is idempotent. The
 * Kubernetes ClusterRoles come from the control plane's install (`crds:install`'s code); the embedded
 * ones from `ensurePlatform` itself.
 */
type Backend = StoreFixture & { installClusterRoles: boolean };

const manifests = await loadClusterRoleManifests();
const roleNames = Object.keys(cfRoles) as CfRoleName[];
const waitMs = { timeoutMs: 10_000 };

/** The store as the server uses it: with Korifi's labels set on every write. */
const labelled = (backend: Backend): Store => withKorifiLabels(backend.store);

function platformOptions(backend: Backend, overrides: Partial<PlatformOptions> = {}): PlatformOptions {
  return {
    rootNamespace: uniqueName('cf'),
    defaultDomain: `${uniqueName('apps')}.example.com`,
    installClusterRoles: backend.installClusterRoles,
    ...overrides,
  };
}

async function bind(backend: Backend, role: CfRoleName, user: StoreUser, namespace: string): Promise<void> {
  await backend.store.privileged().create(newRoleBinding(role, user.name, namespace));
}

function newOrg(namespace: string): NewObject<'CFOrg'> {
  const name = crypto.randomUUID();
  return { kind: 'CFOrg', metadata: { name, namespace }, spec: { displayName: uniqueName('org') } };
}

function newSpace(namespace: string): NewObject<'CFSpace'> {
  const name = crypto.randomUUID();
  return { kind: 'CFSpace', metadata: { name, namespace }, spec: { displayName: uniqueName('space') } };
}

function refTo<K extends 'CFOrg' | 'CFSpace' | 'CFApp'>(object: NewObject<K>): Ref<K> {
  return { kind: object.kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name };
}

function cfRolesSuite(backend: () => Backend): void {
  describe('CF role ClusterRoles', () => {
    let rootNamespace: string;

    before(async function () {
      this.timeout(60_000);
      const options = platformOptions(backend());
      rootNamespace = options.rootNamespace;
      await ensurePlatform(labelled(backend()).privileged(), options);
    });

    it('are stored with the rules of deploy/helm/cf-k8s-api/files/cf-roles', async () => {
      const session = backend().store.privileged();
      for (const manifest of manifests) {
        const stored = await session.get({ kind: 'ClusterRole', name: manifest.metadata.name });
        expect(stored.rules, manifest.metadata.name).to.deep.equal(manifest.rules);
      }
    });

    it('let a user bound to admin in a namespace grant each other CF role there, and only there', async function () {
      this.timeout(60_000);
      const namespace = await createNamespace(backend());
      const elsewhere = await createNamespace(backend());
      const identity = await backend().newUser();
      await bind(backend(), 'admin', identity, namespace);
      const admin = backend().store.as(identity);
      await eventually(() => admin.list('RoleBinding', { namespace }));
      for (const role of roleNames.filter((name) => name !== 'admin')) {
        const granted = await admin.create(newRoleBinding(role, uniqueName('grantee'), namespace));
        expect(granted.roleRef.name, role).to.equal(cfRoles[role].clusterRole);
      }
      await expectStoreError(admin.create(newRoleBinding('space_developer', uniqueName('grantee'), elsewhere)), 'Forbidden');
    });

    it('keep an organization_user from creating orgs in the root namespace, though they see them', async () => {
      const identity = await backend().newUser();
      await bind(backend(), 'organization_user', identity, rootNamespace);
      await bind(backend(), 'cf_user', identity, rootNamespace);
      const user = labelled(backend()).as(identity);
      await eventually(() => user.list('CFOrg', { namespace: rootNamespace }));
      await expectStoreError(user.create(newOrg(rootNamespace)), 'Forbidden');
    });

    it('let an admin create an org and wait for it, and an organization_manager a space', async function () {
      this.timeout(60_000);
      const adminIdentity = await backend().newUser();
      await bind(backend(), 'admin', adminIdentity, rootNamespace);
      const admin = labelled(backend()).as(adminIdentity);
      const org = newOrg(rootNamespace);
      await eventually(() => admin.create(org));
      await admin.waitFor(refTo(org), () => true, waitMs);

      const orgNamespace = await createNamespace(backend());
      const managerIdentity = await backend().newUser();
      await bind(backend(), 'organization_manager', managerIdentity, orgNamespace);
      const manager = labelled(backend()).as(managerIdentity);
      const space = newSpace(orgNamespace);
      await eventually(() => manager.create(space));
      await manager.waitFor(refTo(space), () => true, waitMs);
    });

    it('let a space_developer push and change an app, and a space_supporter stop it, through the label decorator', async function () {
      this.timeout(60_000);
      const namespace = await createNamespace(backend());
      const [developerIdentity, supporterIdentity] = [await backend().newUser(), await backend().newUser()];
      await bind(backend(), 'space_developer', developerIdentity, namespace);
      await bind(backend(), 'space_supporter', supporterIdentity, namespace);
      const developer = labelled(backend()).as(developerIdentity);
      const app = newApp(namespace);
      await eventually(() => developer.create(app));
      await developer.patch(refTo(app), { spec: { desiredState: 'STARTED' } });
      const supporter: StoreSession = labelled(backend()).as(supporterIdentity);
      const stopped = await eventually(() => supporter.patch(refTo(app), { spec: { desiredState: 'STOPPED' } }));
      expect(stopped.spec.desiredState).to.equal('STOPPED');
      await expectStoreError(supporter.create(newApp(namespace)), 'Forbidden');
    });
  });
}

function platformSuite(backend: () => Backend): void {
  describe('ensurePlatform', () => {
    it('makes the root namespace, the default domain and the initial admin on a new store, then does nothing', async function () {
      this.timeout(60_000);
      const identity = await backend().newUser();
      const options = platformOptions(backend(), { initialAdmin: identity.name });
      const session = labelled(backend()).privileged();
      const first = await ensurePlatform(session, options);
      expect(first).to.deep.include({
        createdRootNamespace: true,
        createdDefaultDomain: defaultDomainGuid(options.defaultDomain),
        grantedInitialAdmin: identity.name,
        updatedClusterRoles: [],
      });
      expect(describePlatformChanges(first, options)).to.match(/^Platform: created root namespace .*created default domain/);
      const before = await versionsIn(backend().store.privileged(), options.rootNamespace);

      const second = await ensurePlatform(session, options);
      expect(second).to.deep.equal({ createdRootNamespace: false, createdClusterRoles: [], updatedClusterRoles: [] });
      expect(describePlatformChanges(second, options)).to.equal(
        `Platform: root namespace ${options.rootNamespace} and default domain in place.`,
      );
      expect(await versionsIn(backend().store.privileged(), options.rootNamespace)).to.deep.equal(before);

      const domain = await session.get({
        kind: 'CFDomain',
        namespace: options.rootNamespace,
        name: defaultDomainGuid(options.defaultDomain),
      });
      expect(domain.spec.name).to.equal(options.defaultDomain);
      const admin = labelled(backend()).as(identity);
      await eventually(() => admin.create(newOrg(options.rootNamespace)));
    });

    it('grants no initial admin in a root namespace that was already there', async () => {
      const identity = await backend().newUser();
      const rootNamespace = await createNamespace(backend());
      const changes = await ensurePlatform(
        labelled(backend()).privileged(),
        platformOptions(backend(), { rootNamespace, initialAdmin: identity.name }),
      );
      expect(changes.createdRootNamespace).to.equal(false);
      expect(changes.grantedInitialAdmin).to.equal(undefined);
      const bindings = await backend().store.privileged().list('RoleBinding', { namespace: rootNamespace });
      expect(bindings.items).to.deep.equal([]);
    });

    it('keeps a domain of that name that is already there under another GUID', async () => {
      const rootNamespace = await createNamespace(backend());
      const options = platformOptions(backend(), { rootNamespace });
      const session = labelled(backend()).privileged();
      const existing = crypto.randomUUID();
      await session.create({
        kind: 'CFDomain',
        metadata: { name: existing, namespace: rootNamespace },
        spec: { name: options.defaultDomain },
      });
      const changes = await ensurePlatform(session, options);
      expect(changes.createdDefaultDomain).to.equal(undefined);
      const domains = await session.list('CFDomain', { namespace: rootNamespace });
      expect(domains.items.map((domain) => domain.metadata.name)).to.deep.equal([existing]);
    });

    it('agrees with itself when several processes bootstrap the same store at once', async function () {
      this.timeout(60_000);
      const identity = await backend().newUser();
      const options = platformOptions(backend(), { initialAdmin: identity.name });
      const runs = await Promise.all([1, 2, 3].map(() => ensurePlatform(labelled(backend()).privileged(), options)));
      expect(runs.filter((run) => run.createdRootNamespace)).to.have.length(1);
      expect(runs.filter((run) => run.createdDefaultDomain !== undefined)).to.have.length(1);
      expect(runs.filter((run) => run.grantedInitialAdmin !== undefined)).to.have.length(1);
      const domains = await backend().store.privileged().list('CFDomain', { namespace: options.rootNamespace });
      expect(domains.items.map((domain) => domain.spec.name)).to.deep.equal([options.defaultDomain]);
    });
  });
}

/** The resourceVersion of everything bootstrap writes in the root namespace, and of the namespace itself. */
async function versionsIn(session: StoreSession, rootNamespace: string): Promise<Record<string, string | undefined>> {
  const namespace = await session.get({ kind: 'Namespace', name: rootNamespace });
  const domains = await session.list('CFDomain', { namespace: rootNamespace });
  const bindings = await session.list('RoleBinding', { namespace: rootNamespace });
  const entries = [namespace, ...domains.items, ...bindings.items].map((object) => [
    `${object.kind}/${object.metadata.name}`,
    object.metadata.resourceVersion,
  ]);
  return Object.fromEntries(entries) as Record<string, string | undefined>;
}

describe('CF roles and platform bootstrap: embedded backend', () => {
  let directory: string;
  let backend: Backend | undefined;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cfapi-cf-roles-'));
    const store = await openEmbeddedStore({ file: join(directory, 'store.sqlite') });
    backend = {
      backend: 'embedded',
      store,
      installClusterRoles: true,
      newUser: async (groups = []) => ({ name: uniqueName('user'), groups, credentials: { scheme: 'bearer', token: 'checked-upstream' } }),
    };
  });

  after(async () => {
    await backend?.store.close();
    await rm(directory, { recursive: true, force: true });
  });

  const fixture = (): Backend => {
    if (!backend) throw new Error('the embedded store did not open');
    return backend;
  };
  cfRolesSuite(fixture);
  platformSuite(fixture);

  it('installs the ClusterRoles on a new store and puts back one that was changed', async () => {
    const store = await openEmbeddedStore({ file: join(directory, 'fresh.sqlite') });
    try {
      const session = store.privileged();
      const options = platformOptions(fixture());
      const first = await ensurePlatform(session, options);
      expect(first.createdClusterRoles).to.have.members(manifests.map((manifest) => manifest.metadata.name));
      const admin = await session.get({ kind: 'ClusterRole', name: cfRoles.admin.clusterRole });
      await session.update({ ...admin, metadata: { ...admin.metadata, labels: { ...admin.metadata.labels, keep: 'me' } }, rules: [] });
      const second = await ensurePlatform(session, options);
      expect(second).to.deep.equal({
        createdRootNamespace: false,
        createdClusterRoles: [],
        updatedClusterRoles: [cfRoles.admin.clusterRole],
      });
      const restored = await session.get({ kind: 'ClusterRole', name: cfRoles.admin.clusterRole });
      expect(restored.rules).to.deep.equal(manifests.find((manifest) => manifest.metadata.name === cfRoles.admin.clusterRole)?.rules);
      expect(restored.metadata.labels).to.deep.equal({ 'app.kubernetes.io/part-of': 'cf-k8s-api', keep: 'me' });
    } finally {
      await store.close();
    }
  });
});

describe('CF roles and platform bootstrap: Kubernetes backend (real kube-apiserver)', () => {
  let backend: Backend | undefined;

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    const controlPlane = await sharedControlPlane();
    backend = {
      backend: 'kubernetes',
      store: new KubernetesStore(adminKubeConfig(controlPlane)),
      // The roles come from the control plane's install, as `crds:install` applies them on a cluster.
      installClusterRoles: false,
      newUser: async (groups = []) => {
        const name = uniqueName('user');
        const pair = await controlPlane.issueUser(name, groups);
        return { name, groups, credentials: { scheme: 'clientCert', ...pair } };
      },
    };
  });

  after(async () => backend?.store.close());

  const fixture = (): Backend => {
    if (!backend) throw new Error('the Kubernetes store did not start');
    return backend;
  };
  cfRolesSuite(fixture);
  platformSuite(fixture);
});
