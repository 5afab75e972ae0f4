import type { KindDescriptor } from '../kinds.ts';
import { namespaceRules, namespaceStatusRules } from './namespace-rules.ts';
import { bindingRules, roleRules } from './rbac-rules.ts';
import type { Resource } from './resource.ts';
import { secretRules } from './secret-rules.ts';

/** What a kind's apiserver strategy adds to the generic write rules. */
export type KindRules = {
  /** Defaults and conversions of a new object (mutates it). */
  create(resource: Resource): void;
  /** Defaults and conversions of an updated object, given the stored one (mutates `next`). */
  update(next: Resource, current: Resource): void;
  /** The kind's own validation problems; `current` is the stored object on update. */
  problems(resource: Resource, current?: Resource): string[];
};

/** What a kind's status strategy adds to a status write. */
export type StatusRules = {
  /** Defaults of the written status (mutates the object). */
  update(next: Resource): void;
  problems(next: Resource): string[];
};

const noRules: KindRules = { create: () => {}, update: () => {}, problems: () => [] };
const noStatusRules: StatusRules = { update: () => {}, problems: () => [] };

/**
 * Built-in kinds are decoded into typed structs, so fields they do not have are dropped (as the
 * apiserver does, with a warning); custom kinds are pruned by their CRD schema instead.
 */
function withKnownFields(rules: KindRules, fields: string[]): KindRules {
  const known = new Set(['apiVersion', 'kind', 'metadata', ...fields]);
  const prune = (resource: Resource) => {
    for (const field of Object.keys(resource)) if (!known.has(field)) delete resource[field];
  };
  return {
    create: (resource) => {
      prune(resource);
      rules.create(resource);
    },
    update: (next, current) => {
      prune(next);
      rules.update(next, current);
    },
    problems: (resource, current) => rules.problems(resource, current),
  };
}

const rulesByKind: Partial<Record<string, KindRules>> = {
  Namespace: withKnownFields(namespaceRules, ['spec', 'status']),
  Secret: withKnownFields(secretRules, ['data', 'stringData', 'type', 'immutable']),
  Role: withKnownFields(roleRules(true), ['rules']),
  ClusterRole: withKnownFields(roleRules(false), ['rules', 'aggregationRule']),
  RoleBinding: withKnownFields(bindingRules(true), ['subjects', 'roleRef']),
  ClusterRoleBinding: withKnownFields(bindingRules(false), ['subjects', 'roleRef']),
  Lease: withKnownFields(noRules, ['spec']),
};

export function kindRules(descriptor: KindDescriptor): KindRules {
  return rulesByKind[descriptor.kind] ?? noRules;
}

export function statusRules(descriptor: KindDescriptor): StatusRules {
  return descriptor.kind === 'Namespace' ? namespaceStatusRules : noStatusRules;
}
