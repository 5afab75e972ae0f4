import { expect } from 'chai';
import { requiredPermissions, type Permission, type PermissionSettings } from '../../src/store/kubernetes/server-permissions.ts';
import { renderChart, type Rendered } from './support/helm-chart.ts';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type Role = Rendered & { rules: Rule[] };
type Binding = Rendered & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace?: string }[] };

/** A rule as one comparable line, scoped to where it applies (the cluster, or a namespace). */
const ruleKey = (where: string, rule: Rule) =>
  JSON.stringify([
    where,
    [...rule.apiGroups],
    [...rule.resources],
    [...rule.verbs],
    rule.resourceNames ? [...rule.resourceNames].sort() : null,
  ]);
const permissionKey = (permission: Permission, rootNamespace: string) =>
  ruleKey(permission.scope === 'cluster' ? 'cluster' : rootNamespace, {
    apiGroups: [permission.apiGroup],
    resources: permission.resources,
    verbs: permission.verbs,
    ...(permission.resourceNames ? { resourceNames: permission.resourceNames } : {}),
  });

/** The rules every (Cluster)Role bound to the release's ServiceAccount grants, and those bindings. */
function serviceAccountRules(objects: Rendered[], namespace: string) {
  const serviceAccount = objects.find((object) => object.kind === 'ServiceAccount')!;
  const bindings = objects.filter(
    (object): object is Binding =>
      (object.kind === 'ClusterRoleBinding' || object.kind === 'RoleBinding') &&
      (object as Binding).subjects.some((subject) => subject.kind === 'ServiceAccount' && subject.name === serviceAccount.metadata.name),
  );
  const rules: string[] = [];
  for (const binding of bindings) {
    expect(binding.subjects, binding.metadata.name).to.deep.equal([
      { kind: 'ServiceAccount', name: serviceAccount.metadata.name, namespace },
    ]);
    const role = objects.find(
      (object): object is Role =>
        object.kind === binding.roleRef.kind &&
        object.metadata.name === binding.roleRef.name &&
        (binding.kind === 'ClusterRoleBinding' || object.metadata.namespace === binding.metadata.namespace),
    );
    // Nothing the chart does not define itself: no cluster-admin, no built-in roles.
    expect(role, `${binding.kind} ${binding.metadata.name} → ${binding.roleRef.kind} ${binding.roleRef.name}`).not.to.equal(undefined);
    if (binding.kind === 'RoleBinding') expect(binding.roleRef.kind).to.equal('Role');
    for (const rule of role!.rules)
      rules.push(ruleKey(binding.kind === 'ClusterRoleBinding' ? 'cluster' : binding.metadata.namespace!, rule));
  }
  return { rules: rules.sort(), bindings };
}

const cases: { title: string; values: Record<string, unknown>; settings: PermissionSettings; rootNamespace: string }[] = [
  {
    title: 'on its own (reconcilers in the server)',
    values: {},
    settings: { reconcilers: true, registrySecretNames: [] },
    rootNamespace: 'cf',
  },
  {
    title: 'next to Korifi (no reconcilers), reading two registry Secrets',
    values: {
      crds: { install: false },
      cfRoles: { install: false },
      config: { reconcilers: false, rootNamespace: 'korifi-root', containerRegistry: { packageRegistrySecretNames: ['push-a', 'push-b'] } },
    },
    settings: { reconcilers: false, registrySecretNames: ['push-a', 'push-b'] },
    rootNamespace: 'korifi-root',
  },
  {
    title: 'in place of korifi-api (reconcilers forced off)',
    values: { korifi: { replaceApi: true }, config: { reconcilers: true } },
    settings: { reconcilers: false, registrySecretNames: [] },
    rootNamespace: 'cf',
  },
];

describe('the Helm chart’s RBAC for the server’s ServiceAccount', function () {
  this.timeout(60_000);

  for (const { title, values, settings, rootNamespace } of cases) {
    it(`grants exactly the permission list (files/server-permissions.yaml) ${title}`, async () => {
      const objects = await renderChart(values, { namespace: 'cfapi' });
      const { rules } = serviceAccountRules(objects, 'cfapi');
      const expected = (await requiredPermissions(settings)).map((permission) => permissionKey(permission, rootNamespace)).sort();
      expect(rules).to.deep.equal(expected);
    });
  }

  it('grants no wildcard and binds the ServiceAccount to the chart’s own roles only', async () => {
    const objects = await renderChart({ config: { containerRegistry: { packageRegistrySecretNames: ['push'] } } }, { namespace: 'cfapi' });
    const { bindings } = serviceAccountRules(objects, 'cfapi');
    expect(bindings.map((binding) => `${binding.kind}/${binding.metadata.name}`).sort()).to.deep.equal([
      'ClusterRoleBinding/rel-cf-k8s-api',
      'ClusterRoleBinding/rel-cf-k8s-api-reconcilers',
      'RoleBinding/rel-cf-k8s-api-registry-secrets',
    ]);
    for (const binding of bindings) expect(binding.roleRef.name).not.to.match(/^(cluster-admin|admin|edit|view|system:)/);
    const serverRoles = objects.filter(
      (object): object is Role =>
        (object.kind === 'ClusterRole' || object.kind === 'Role') && object.metadata.name.startsWith('rel-cf-k8s-api'),
    );
    for (const role of serverRoles) {
      for (const rule of role.rules) {
        expect([...rule.apiGroups, ...rule.resources, ...rule.verbs], role.metadata.name).not.to.include('*');
        expect(rule.verbs, role.metadata.name).not.to.include.members(['escalate', 'impersonate']);
      }
    }
    const secretRules = serverRoles.flatMap((role) =>
      role.rules.filter((rule) => rule.resources.includes('secrets')).map((rule) => ({ role, rule })),
    );
    // Secrets: the named registry Secrets in the root namespace; the reconcilers' own (apps' env, bindings) cluster-wide.
    expect(secretRules.map(({ role, rule }) => [role.kind, rule.verbs, rule.resourceNames ?? null])).to.deep.equal([
      ['ClusterRole', ['get', 'create', 'patch'], null],
      ['Role', ['get'], ['push']],
    ]);
  });
});
