import { expect } from 'chai';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlane } from '../../scripts/control-plane/control-plane.ts';
import { missingServerPermissions } from '../../src/store/kubernetes/permission-check.ts';
import { RestClient } from '../../src/store/kubernetes/rest-client.ts';
import { loadServerKubeConfig } from '../../src/store/kubernetes/server-kubeconfig.ts';
import {
  accessChecks,
  describeCheck,
  requiredPermissions,
  type PermissionSettings,
} from '../../src/store/kubernetes/server-permissions.ts';
import { uniqueName } from '../store/fixture.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { freePort, startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { authHeaders, contractFetch } from '../support/test-server.ts';
import { newRoleBinding } from '../../src/domain/roles/role-binding.ts';
import { installChart, installedConfigFile, serviceAccountKubeconfig, type Installed } from './support/helm-chart.ts';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Role = { metadata: { name: string; namespace?: string; resourceVersion?: string }; rules: Rule[] };

const registrySecret = 'registry-push';

/**
 * `helm install` onto the real control plane, then the server with the chart's ServiceAccount token
 * and ConfigMap; and the other way round: a permission taken out of the installed roles is missed.
 */
describe('the Helm chart installed on a real kube-apiserver', function () {
  this.timeout(120_000);
  let controlPlane: ControlPlane;
  let admin: RestClient;
  let installed: Installed;
  let kubeconfigFile: string;
  let configFile: string;
  const suffix = uniqueName('c').slice(-6);
  const rootNamespace = `cf-chart-${suffix}`;
  const settings: PermissionSettings & { rootNamespace: string } = {
    reconcilers: true,
    registrySecretNames: [registrySecret],
    rootNamespace,
  };

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    controlPlane = await sharedControlPlane();
    admin = new RestClient(adminKubeConfig(controlPlane));
    // The registry Secrets live in the root namespace, so it exists before the release's Role there.
    await admin.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: rootNamespace } },
    });
    installed = await installChart(controlPlane, admin, {
      release: `chart-${suffix}`,
      namespace: `cfapi-chart-${suffix}`,
      values: { config: { rootNamespace, reconcilers: true, containerRegistry: { packageRegistrySecretNames: [registrySecret] } } },
    });
    kubeconfigFile = await serviceAccountKubeconfig(controlPlane, admin, installed);
    configFile = await installedConfigFile(admin, installed);
  });
  after(() => admin?.close());

  const serviceAccountConfig = () => loadServerKubeConfig({ kubeconfigFile });
  const start = async (): Promise<{ server: ServerProcess; url: string }> => {
    const port = await freePort();
    const server = await startServerProcess(
      {
        CFAPI_LISTEN_HOST: '127.0.0.1',
        CFAPI_LISTEN_PORT: String(port),
        CFAPI_LOG_LEVEL: 'warn',
        CFAPI_DATA_DIR: await mkdtemp(join(tmpdir(), 'cfapi-chart-')),
        CFAPI_EXTERNAL_URL: `http://127.0.0.1:${port}`,
      },
      ['--config', configFile, '--kubeconfig', kubeconfigFile],
    );
    return { server, url: `http://127.0.0.1:${port}` };
  };

  /** The installed server roles, by kind and name. */
  const rolePath = (kind: 'ClusterRole' | 'Role', name: string) =>
    kind === 'ClusterRole'
      ? `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`
      : `/apis/rbac.authorization.k8s.io/v1/namespaces/${rootNamespace}/roles/${name}`;
  const readRole = (kind: 'ClusterRole' | 'Role', name: string) => admin.request<Role>({ method: 'GET', path: rolePath(kind, name) });
  const writeRules = async (kind: 'ClusterRole' | 'Role', name: string, rules: Rule[]) => {
    const current = await readRole(kind, name);
    await admin.request({
      method: 'PUT',
      path: rolePath(kind, name),
      body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind, ...current, rules },
    });
  };
  const serverRoles = (): { kind: 'ClusterRole' | 'Role'; name: string }[] => [
    { kind: 'ClusterRole', name: installed.fullname },
    { kind: 'ClusterRole', name: `${installed.fullname}-reconcilers` },
    { kind: 'Role', name: `${installed.fullname}-registry-secrets` },
  ];

  /** Polls the permission check until it reports `expected` (the apiserver's authorizer follows RBAC by a watch). */
  const missingSettles = async (expected: string[]) => {
    let missing: string[] = [];
    for (let attempt = 0; attempt < 50; attempt += 1) {
      missing = (await missingServerPermissions(serviceAccountConfig(), settings)).map(describeCheck).sort();
      if (JSON.stringify(missing) === JSON.stringify(expected)) return missing;
      await sleep(100);
    }
    return missing;
  };

  it('gives the ServiceAccount every permission of the list: the server starts with its token and serves', async () => {
    expect(await missingServerPermissions(serviceAccountConfig(), settings)).to.deep.equal([]);
    const { server, url } = await start();
    try {
      expect(server.output()).to.contain(
        `Reconcilers: running in this process while it leads (Lease cfapi-tenancy-reconcilers in ${rootNamespace})`,
      );
      const bob = controlPlane.tokenUsers.find((user) => user.name === 'token-bob')!;
      const whoami = await contractFetch(url, '/whoami', { headers: { Authorization: `Bearer ${bob.token}` } });
      expect(whoami.status, whoami.text).to.equal(200);
    } finally {
      server.child.kill('SIGTERM');
    }
  });

  /** Takes rule `index` out of the installed role and expects the check to miss exactly what only it granted. */
  const expectMissedWithout = async (
    { kind, name, role }: { kind: 'ClusterRole' | 'Role'; name: string; role: Role },
    index: number,
    all: string[],
  ) => {
    const removed = role.rules[index]!;
    await writeRules(
      kind,
      name,
      role.rules.filter((_, other) => other !== index),
    );
    try {
      const installedRules = await Promise.all(
        serverRoles().map(async (other) => ({ ...other, rules: (await readRole(other.kind, other.name)).rules ?? [] })),
      );
      const grantedBy = (roles: typeof installedRules) =>
        new Set(roles.flatMap((other) => checksOf(other.kind, other.rules, rootNamespace)));
      // What only this rule granted: its checks that no other installed rule covers.
      const stillGranted = grantedBy(installedRules);
      const expected = checksOf(kind, [removed], rootNamespace).filter((check) => !covers(stillGranted, check));
      if (expected.length === 0) {
        // Granted twice only because this server reconciles too (the reconcilers bind every CF role,
        // the root-namespace user's too, and read every Secret): without their role this rule is the only source.
        const withoutReconcilers = grantedBy(installedRules.filter((other) => !other.name.endsWith('-reconcilers')));
        const own = checksOf(kind, [removed], rootNamespace).filter((check) => !covers(withoutReconcilers, check));
        expect(own, `${name} rule ${index}`).not.to.deep.equal([]);
      }
      expect(all).to.include.members(expected);
      expect(await missingSettles([...expected].sort()), `${name} without rule ${index}`).to.deep.equal([...expected].sort());
    } finally {
      await writeRules(kind, name, role.rules);
    }
  };

  it('is missed, rule by rule: without any one rule of the installed roles the start-time check names what is gone', async () => {
    const all = accessChecks(await requiredPermissions(settings), rootNamespace).map(describeCheck);
    for (const { kind, name } of serverRoles()) {
      const role = await readRole(kind, name);
      expect(role.rules.length, name).to.be.greaterThan(0);
      for (let index = 0; index < role.rules.length; index += 1) await expectMissedWithout({ kind, name, role }, index, all);
    }
    expect(await missingSettles([])).to.deep.equal([]);
  });

  it('refuses to start, naming the permission, when one is missing', async () => {
    const name = installed.fullname;
    const role = await readRole('ClusterRole', name);
    await writeRules(
      'ClusterRole',
      name,
      role.rules.filter((rule) => !rule.resources.includes('tokenreviews')),
    );
    try {
      await missingSettles(['create tokenreviews.authentication.k8s.io (cluster-wide)']);
      const failure = await start().then(
        ({ server }) => {
          server.child.kill('SIGTERM');
          return undefined;
        },
        (error: unknown) => error as Error,
      );
      expect(failure?.message).to.contain('lack 1 permission(s) it needs');
      expect(failure?.message).to.contain('- create tokenreviews.authentication.k8s.io (cluster-wide)');
    } finally {
      await writeRules('ClusterRole', name, role.rules);
    }
  });

  it('fails the operation that needs it when a permission goes while the server runs (a TokenReview)', async () => {
    const { server, url } = await start();
    const name = installed.fullname;
    const role = await readRole('ClusterRole', name);
    try {
      const alice = controlPlane.tokenUsers.find((user) => user.name === 'token-alice')!;
      await writeRules(
        'ClusterRole',
        name,
        role.rules.filter((rule) => !rule.resources.includes('tokenreviews')),
      );
      await missingSettles(['create tokenreviews.authentication.k8s.io (cluster-wide)']);
      const whoami = await contractFetch(url, '/whoami', { headers: { Authorization: `Bearer ${alice.token}` } });
      expect(whoami.status, whoami.text).not.to.equal(200);
      await writeRules('ClusterRole', name, role.rules);
      await missingSettles([]);
      const again = await contractFetch(url, '/whoami', { headers: { Authorization: `Bearer ${alice.token}` } });
      expect(again.status, again.text).to.equal(200);
    } finally {
      await writeRules('ClusterRole', name, role.rules);
      server.child.kill('SIGTERM');
    }
  });

  it('fails the operation that needs it when a permission goes while the server runs (name claims: an org create)', async () => {
    const { server, url } = await start();
    const name = installed.fullname;
    const role = await readRole('ClusterRole', name);
    try {
      const adminName = `chart-admin-${suffix}`;
      const pair = await controlPlane.issueUser(adminName);
      await admin.request({
        method: 'POST',
        path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${rootNamespace}/rolebindings`,
        body: newRoleBinding('admin', adminName, rootNamespace),
      });
      const headers = { ...authHeaders.clientCert({ name: adminName, token: '', ...pair }), 'Content-Type': 'application/json' };
      const createOrg = (orgName: string) =>
        contractFetch(url, '/v3/organizations', { method: 'POST', headers, body: JSON.stringify({ name: orgName }) });
      await writeRules(
        'ClusterRole',
        name,
        role.rules.filter((rule) => !rule.resources.includes('leases')),
      );
      await missingSettles(
        ['create', 'delete', 'get', 'patch', 'update'].map((verb) => `${verb} leases.coordination.k8s.io (cluster-wide)`).sort(),
      );
      const refused = await createOrg(`claimless-${suffix}`);
      expect(refused.status, refused.text).not.to.equal(201);
      await writeRules('ClusterRole', name, role.rules);
      await missingSettles([]);
      const created = await createOrg(`claimed-${suffix}`);
      expect(created.status, created.text).to.equal(201);
    } finally {
      await writeRules('ClusterRole', name, role.rules);
      server.child.kill('SIGTERM');
    }
  });
});

/** Whether these granted checks cover `check`: the same, or the same for every name, or cluster-wide. */
function covers(granted: ReadonlySet<string>, check: string): boolean {
  const anyName = check.replace(/ "[^"]+"/, '');
  return [check, anyName].some((variant) => granted.has(variant) || granted.has(variant.replace(/ in namespace \S+$/, ' (cluster-wide)')));
}

/** The single access checks a role's rules grant, as the permission check describes them. */
function checksOf(kind: 'ClusterRole' | 'Role', rules: readonly Rule[], rootNamespace: string): string[] {
  return accessChecks(
    rules.map((rule) => ({
      need: 'always' as const,
      scope: kind === 'ClusterRole' ? ('cluster' as const) : ('rootNamespace' as const),
      apiGroup: rule.apiGroups[0] ?? '',
      resources: rule.resources,
      verbs: rule.verbs as never,
      why: '',
      ...(rule.resourceNames ? { resourceNames: rule.resourceNames } : {}),
    })),
    rootNamespace,
  ).map(describeCheck);
}
