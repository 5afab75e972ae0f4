/**
 * Kubernetes resource versions as the apiserver makes them: decimal counters (etcd revisions), so a
 * larger one is a later change. Anything else is no version this cache can order (undefined).
 */
export function versionOf(resourceVersion: string | undefined): bigint | undefined {
  return resourceVersion !== undefined && /^\d+$/.test(resourceVersion) ? BigInt(resourceVersion) : undefined;
}
