import type { KindName } from '../kinds.ts';
import type { RequestAttributes } from './rbac-authorizer.ts';
import { descriptorOf } from './resource.ts';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/**
 * The attributes the apiserver derives from a request's URL. A namespace's own URL
 * (`/api/v1/namespaces/<name>`) counts as inside that namespace, so RoleBindings there apply to it.
 */
export function requestAttributes(
  verb: Verb,
  target: { kind: KindName; namespace?: string | undefined; name?: string | undefined },
  subresource?: 'status',
): RequestAttributes {
  const descriptor = descriptorOf(target.kind);
  const name = target.name === '' ? undefined : target.name;
  // Create, list and watch go to the collection URL (`/api/v1/namespaces`), which is cluster-scoped.
  const addressesOneNamespace = descriptor.kind === 'Namespace' && name !== undefined && !['create', 'list', 'watch'].includes(verb);
  let namespace: string | undefined;
  if (addressesOneNamespace) namespace = name;
  else if (descriptor.namespaced && target.namespace !== '') namespace = target.namespace;
  return {
    verb,
    apiGroup: descriptor.group,
    resource: descriptor.plural,
    subresource,
    namespace,
    name: verb === 'create' ? undefined : name,
  };
}
