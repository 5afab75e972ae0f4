import { fieldError } from './field-errors.ts';
import type { KindRules, StatusRules } from './kind-rules.ts';
import type { Resource } from './resource.ts';

/** The finalizer the namespace controller removes once a terminating namespace is empty. */
export const namespaceFinalizer = 'kubernetes';
const nameLabel = 'kubernetes.io/metadata.name';

type NamespaceFields = { spec?: { finalizers?: string[] }; status?: { phase?: string } };

/**
 * Namespaces as the core API treats them: created Active with the `kubernetes` finalizer and
 * the name label; `spec` and `status` are the server's, an update keeps them.
 */
export const namespaceRules: KindRules = {
  create(resource) {
    const namespace = resource as Resource & NamespaceFields;
    const finalizers = namespace.spec?.finalizers ?? [];
    namespace.spec = {
      ...namespace.spec,
      finalizers: finalizers.includes(namespaceFinalizer) ? finalizers : [...finalizers, namespaceFinalizer],
    };
    namespace.status = { phase: 'Active' };
    labelWithName(resource);
  },
  update(next, current) {
    const spec = (current as NamespaceFields).spec;
    if (spec === undefined) delete next.spec;
    else next.spec = spec;
    labelWithName(next);
  },
  problems: () => [],
};

/**
 * A namespace's status write: an empty phase defaults to Active, and the phase must say whether the
 * namespace is being deleted (Terminating exactly when it has a deletionTimestamp).
 */
export const namespaceStatusRules: StatusRules = {
  update(next) {
    const namespace = next as Resource & NamespaceFields;
    const status = namespace.status ?? {};
    if (typeof status === 'object' && !status.phase) namespace.status = { ...status, phase: 'Active' };
  },
  problems(next) {
    const phase = (next as NamespaceFields).status?.phase;
    const deleting = next.metadata.deletionTimestamp !== undefined;
    if (phase === (deleting ? 'Terminating' : 'Active')) return [];
    const detail = deleting
      ? "may only be 'Terminating' if `deletionTimestamp` is not empty"
      : "may only be 'Active' if `deletionTimestamp` is empty";
    return [fieldError.invalid('status.Phase', phase ?? '', detail)];
  },
};

function labelWithName(resource: Resource): void {
  resource.metadata.labels = { ...resource.metadata.labels, [nameLabel]: resource.metadata.name };
}
