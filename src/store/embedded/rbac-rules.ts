import type { PolicyRule, RoleRef, Subject } from '../objects.ts';
import { fieldError } from './field-errors.ts';
import type { KindRules } from './kind-rules.ts';
import { jsonEqual } from '../json-equal.ts';
import type { Resource } from './resource.ts';

const rbacGroup = 'rbac.authorization.k8s.io';

/** Roles and ClusterRoles: every rule names verbs, and resource rules name groups and resources. */
export function roleRules(namespaced: boolean): KindRules {
  return {
    create: () => {},
    update: () => {},
    problems: (resource) =>
      ((resource.rules ?? []) as PolicyRule[]).flatMap((rule, index) => policyRuleProblems(rule, `rules[${index}]`, namespaced)),
  };
}

function policyRuleProblems(rule: PolicyRule, path: string, namespaced: boolean): string[] {
  const problems = (rule.verbs ?? []).length === 0 ? [fieldError.required(`${path}.verbs`, 'verbs must contain at least one value')] : [];
  const urls = rule.nonResourceURLs ?? [];
  if (urls.length > 0) {
    if (namespaced)
      problems.push(fieldError.invalid(`${path}.nonResourceURLs`, urls, 'namespaced rules cannot apply to non-resource URLs'));
    const mixed = [rule.apiGroups, rule.resources, rule.resourceNames].some((list) => (list ?? []).length > 0);
    if (mixed)
      problems.push(
        fieldError.invalid(`${path}.nonResourceURLs`, urls, 'rules cannot apply to both regular resources and non-resource URLs'),
      );
    return problems;
  }
  if ((rule.apiGroups ?? []).length === 0)
    problems.push(fieldError.required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if ((rule.resources ?? []).length === 0)
    problems.push(fieldError.required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return problems;
}

/** RoleBindings and ClusterRoleBindings: a valid, unchangeable roleRef and valid subjects (with v1 defaults). */
export function bindingRules(namespaced: boolean): KindRules {
  return {
    create: applyBindingDefaults,
    update: applyBindingDefaults,
    problems: (resource, current) => [
      ...roleRefProblems(resource.roleRef as RoleRef | undefined, namespaced),
      ...((resource.subjects ?? []) as Subject[]).flatMap((subject, index) => subjectProblems(subject, `subjects[${index}]`, namespaced)),
      ...(current !== undefined && !jsonEqual(resource.roleRef, current.roleRef)
        ? [fieldError.invalid('roleRef', resource.roleRef, 'cannot change roleRef')]
        : []),
    ],
  };
}

function applyBindingDefaults(resource: Resource): void {
  const roleRef = resource.roleRef as Partial<RoleRef> | undefined;
  if (roleRef !== undefined && roleRef !== null && !roleRef.apiGroup) resource.roleRef = { ...roleRef, apiGroup: rbacGroup };
  const subjects = resource.subjects as Subject[] | undefined;
  if (!Array.isArray(subjects)) return;
  resource.subjects = subjects.map((subject) =>
    subject.apiGroup || subject.kind === 'ServiceAccount' ? subject : { ...subject, apiGroup: rbacGroup },
  );
}

function roleRefProblems(roleRef: RoleRef | undefined, namespaced: boolean): string[] {
  if (roleRef === undefined || roleRef === null) return [fieldError.required('roleRef')];
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  const problems = kinds.includes(roleRef.kind) ? [] : [fieldError.unsupported('roleRef.kind', roleRef.kind, kinds)];
  if (roleRef.apiGroup !== rbacGroup) problems.push(fieldError.unsupported('roleRef.apiGroup', roleRef.apiGroup, [rbacGroup]));
  if (!roleRef.name) problems.push(fieldError.required('roleRef.name'));
  return problems;
}

function subjectProblems(subject: Subject, path: string, namespaced: boolean): string[] {
  const problems = subject.name ? [] : [fieldError.required(`${path}.name`)];
  switch (subject.kind) {
    case 'ServiceAccount':
      if (subject.apiGroup) problems.push(fieldError.unsupported(`${path}.apiGroup`, subject.apiGroup, ['']));
      if (!namespaced && !subject.namespace) problems.push(fieldError.required(`${path}.namespace`));
      return problems;
    case 'User':
    case 'Group':
      if (subject.apiGroup !== rbacGroup) problems.push(fieldError.unsupported(`${path}.apiGroup`, subject.apiGroup, [rbacGroup]));
      return problems;
    default:
      return [...problems, fieldError.unsupported(`${path}.kind`, subject.kind, ['ServiceAccount', 'User', 'Group'])];
  }
}
