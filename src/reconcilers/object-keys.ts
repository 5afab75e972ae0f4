import type { Ref } from '../store/port.ts';

/** The kinds the tenancy reconcilers own. */
export type TenancyKind = 'CFOrg' | 'CFSpace';

/**
 * Work-queue keys: `<kind>/<namespace>/<name>`. Kubernetes names and namespaces never contain a
 * slash, so a key splits back into its parts unambiguously.
 */
export function keyOf(kind: TenancyKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

export function refOfKey(key: string): Ref<TenancyKind> {
  const [kind, namespace, name] = key.split('/');
  if ((kind !== 'CFOrg' && kind !== 'CFSpace') || namespace === undefined || name === undefined) {
    throw new Error(`not a tenancy work-queue key: ${key}`);
  }
  return { kind, namespace, name };
}
