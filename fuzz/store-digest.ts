import { createHash } from 'node:crypto';
import { kinds, type KindName } from '../src/store/kinds.ts';
import type { StoredObject } from '../src/store/objects.ts';
import type { Store } from '../src/store/port.ts';

/** One entry per stored object: `kind namespace/name` → a hash of what a request could change in it. */
export type StoreDigest = Map<string, string>;

const systemNamespaces = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'default']);

/**
 * What the store holds, as clients could have changed it: each object's identity, labels, annotations,
 * owners and content (spec, data, RBAC rules and subjects), not its status, version or finalizers, which
 * the reconcilers write on their own time. Objects on their way out (a deletion timestamp, or in a
 * namespace being deleted) are left out, since they disappear whenever the garbage collector gets to
 * them. Leases count by identity only: a held lease is renewed all the time. Read through the
 * privileged session straight from the backend (no read cache), so it is exact.
 */
export async function storeDigest(store: Store): Promise<StoreDigest> {
  const session = store.privileged();
  const lists = await Promise.all(
    (Object.keys(kinds) as KindName[]).map(async (kind) => ({ kind, items: (await session.list(kind)).items })),
  );
  const namespaces = lists.find(({ kind }) => kind === 'Namespace')?.items ?? [];
  const terminating = new Set(namespaces.filter((item) => item.metadata.deletionTimestamp).map((item) => item.metadata.name));
  const digest: StoreDigest = new Map();
  const gone = (namespace: string) => terminating.has(namespace) || systemNamespaces.has(namespace);
  for (const { kind, items } of lists) {
    for (const item of items) {
      const { metadata } = item;
      const namespace = metadata.namespace ?? '';
      if (metadata.deletionTimestamp || gone(namespace) || (kind === 'Namespace' && gone(metadata.name))) continue;
      const hash = createHash('sha1')
        .update(JSON.stringify(kind === 'Lease' ? {} : contentOf(item)))
        .digest('base64');
      digest.set(`${kind} ${namespace}/${metadata.name} ${metadata.uid}`, hash);
    }
  }
  return digest;
}

/** What differs between two digests, for the report (at most `limit` lines). */
export function digestDifference(before: StoreDigest, after: StoreDigest, limit = 20): string[] {
  const lines: string[] = [];
  for (const [key, hash] of after) {
    if (!before.has(key)) lines.push(`added   ${key}`);
    else if (before.get(key) !== hash) lines.push(`changed ${key}`);
  }
  for (const key of before.keys()) if (!after.has(key)) lines.push(`removed ${key}`);
  return lines.slice(0, limit);
}

export function sameDigest(a: StoreDigest, b: StoreDigest): boolean {
  if (a.size !== b.size) return false;
  for (const [key, hash] of a) if (b.get(key) !== hash) return false;
  return true;
}

/** What a request could have changed in an object: not its status, version, finalizers or timestamps. */
function contentOf(item: StoredObject): Record<string, unknown> {
  const { metadata } = item;
  const object = item as unknown as Record<string, unknown>;
  return {
    labels: metadata.labels ?? {},
    annotations: metadata.annotations ?? {},
    owners: (metadata.ownerReferences ?? []).map((owner) => owner.uid),
    spec: object['spec'],
    data: object['data'],
    type: object['type'],
    rules: object['rules'],
    subjects: object['subjects'],
    roleRef: object['roleRef'],
  };
}
