import { mastersGroup } from '../../auth/identity.ts';
import type { PolicyRule, RoleRef, Subject } from '../objects.ts';
import { subjectNamesUser, type SubjectUser } from '../rbac-subjects.ts';

/**
 * Kubernetes' RBAC authorizer (`plugin/pkg/auth/authorizer/rbac`) as a pure function of the stored
 * Role, ClusterRole, RoleBinding and ClusterRoleBinding objects. A request is allowed when any rule
 * reached from a binding that applies to the user allows it: ClusterRoleBindings everywhere,
 * RoleBindings only inside their own namespace. There is no deny.
 */

/** What a request asks to do, as the apiserver's request info describes it. */
export type RequestAttributes = {
  verb: string;
  apiGroup: string;
  /** The plural, e.g. `cfapps`. */
  resource: string;
  subresource?: string | undefined;
  /** Undefined for cluster-scoped resources and for requests across all namespaces. */
  namespace?: string | undefined;
  /** Known for requests about one object (including lists and watches of one name), never for create. */
  name?: string | undefined;
};

/** Who asks: the user's name and groups. */
export type UserInfo = SubjectUser;

type NamedRules = { name: string; namespace?: string; rules?: PolicyRule[] };
type Binding = { namespace?: string; subjects?: Subject[]; roleRef: RoleRef };

/** The RBAC objects, as stored (metadata reduced to what authorization needs). */
export type RbacObjects = {
  roles: NamedRules[];
  clusterRoles: NamedRules[];
  roleBindings: Binding[];
  clusterRoleBindings: Binding[];
};

/** A binding with the rules of the role it refers to, resolved once. */
type Grant = { subjects: readonly Subject[]; rules: readonly PolicyRule[] };

/** Bindings resolved to rules: cluster-wide grants, and grants per namespace. */
export type CompiledPolicy = { cluster: readonly Grant[]; byNamespace: ReadonlyMap<string, readonly Grant[]> };

export function compilePolicy(objects: RbacObjects): CompiledPolicy {
  const clusterRoles = new Map(objects.clusterRoles.map((role) => [role.name, role.rules ?? []]));
  const roles = new Map(objects.roles.map((role) => [`${role.namespace ?? ''}/${role.name}`, role.rules ?? []]));
  const cluster = objects.clusterRoleBindings.flatMap((binding) =>
    binding.roleRef.kind === 'ClusterRole'
      ? [{ subjects: binding.subjects ?? [], rules: clusterRoles.get(binding.roleRef.name) ?? [] }]
      : [],
  );
  const byNamespace = new Map<string, Grant[]>();
  for (const binding of objects.roleBindings) {
    const namespace = binding.namespace ?? '';
    const rules =
      binding.roleRef.kind === 'ClusterRole' ? clusterRoles.get(binding.roleRef.name) : roles.get(`${namespace}/${binding.roleRef.name}`);
    const grants = byNamespace.get(namespace) ?? [];
    grants.push({ subjects: binding.subjects ?? [], rules: rules ?? [] });
    byNamespace.set(namespace, grants);
  }
  return { cluster, byNamespace };
}

/** The rules that apply to `user` for a request in `namespace` (undefined: cluster scope). */
export function rulesFor(policy: CompiledPolicy, user: UserInfo, namespace: string | undefined): PolicyRule[] {
  const rules = policy.cluster
    .filter((grant) => grant.subjects.some((subject) => subjectNamesUser(subject, user, undefined)))
    .flatMap((grant) => grant.rules);
  if (namespace === undefined || namespace === '') return rules;
  for (const grant of policy.byNamespace.get(namespace) ?? []) {
    if (grant.subjects.some((subject) => subjectNamesUser(subject, user, namespace))) rules.push(...grant.rules);
  }
  return rules;
}

export function isAllowed(policy: CompiledPolicy, user: UserInfo, request: RequestAttributes): boolean {
  if (user.groups.includes(mastersGroup)) return true;
  return rulesAllow(rulesFor(policy, user, request.namespace), request);
}

export function rulesAllow(rules: readonly PolicyRule[], request: RequestAttributes): boolean {
  return rules.some((rule) => ruleAllows(rule, request));
}

export function ruleAllows(rule: PolicyRule, request: RequestAttributes): boolean {
  return (
    matchesOrWildcard(rule.verbs, request.verb) &&
    matchesOrWildcard(rule.apiGroups ?? [], request.apiGroup) &&
    resourceMatches(rule.resources ?? [], request) &&
    resourceNameMatches(rule.resourceNames ?? [], request.name)
  );
}

function matchesOrWildcard(values: readonly string[], requested: string): boolean {
  return values.some((value) => value === '*' || value === requested);
}

function resourceMatches(resources: readonly string[], request: RequestAttributes): boolean {
  const subresource = request.subresource ?? '';
  const combined = subresource === '' ? request.resource : `${request.resource}/${subresource}`;
  return resources.some((resource) => resource === '*' || resource === combined || (subresource !== '' && resource === `*/${subresource}`));
}

/** A rule with resourceNames allows only requests that name one of them. */
function resourceNameMatches(names: readonly string[], requested: string | undefined): boolean {
  return names.length === 0 || (requested !== undefined && requested !== '' && names.includes(requested));
}
