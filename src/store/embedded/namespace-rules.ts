import type { KindRules } from './kind-rules.ts';
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

function labelWithName(resource: Resource): void {
  resource.metadata.labels = { ...resource.metadata.labels, [nameLabel]: resource.metadata.name };
}
