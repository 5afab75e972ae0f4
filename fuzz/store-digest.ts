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
 * the reconcilers write on their own time. Objects on their way out are left out (see goingObjects),
 * since they disappear whenever the garbage collector gets to them. Leases count by identity only: a held lease is renewed all the time. Read through the
 * privileged session straight from the backend (no read cache), so it is exact.
 */
export async function storeDigest(store: Store): Promise<StoreDigest> {
  const session = store.privileged();
  const lists = await Promise.all(
    (Object.keys(kinds) as KindName[]).map(async (kind) => ({ kind, items: (await session.list(kind)).items })),
  );
  const going = goingObjects(lists.flatMap(({ items }) => items));
  const digest: StoreDigest = new Map();
  for (const { kind, items } of lists) {
    for (const item of items) {
      if (going(item)) continue;
      const hash = createHash('sha1')
        .update(JSON.stringify(kind === 'Lease' ? {} : contentOf(item)))
        .digest('base64');
      digest.set(`${kind} ${item.metadata.namespace ?? ''}/${item.metadata.name} ${item.metadata.uid}`, hash);
    }
  }
  return digest;
}

/**
 * Which objects are on their way out, and go whenever the garbage collector gets to them: those with a
 * deletion timestamp, those in a namespace being deleted (or a system one), and the dependents of an
 * owner that is gone or going (Kubernetes collects orphans in the background, without a timestamp first).
 */
function goingObjects(all: StoredObject[]): (item: StoredObject) => boolean {
  const byUid = new Map(all.map((item) => [item.metadata.uid, item]));
  const terminating = new Set(
    all.filter((item) => item.kind === 'Namespace' && item.metadata.deletionTimestamp).map((item) => item.metadata.name),
  );
  const gone = (namespace: string) => terminating.has(namespace) || systemNamespaces.has(namespace);
  const memo = new Map<string, boolean>();
  const going = (item: StoredObject, depth = 0): boolean => {
    const { metadata } = item;
    const key = `${item.kind} ${metadata.namespace ?? ''}/${metadata.name}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const owners = metadata.ownerReferences ?? [];
    const result =
      metadata.deletionTimestamp !== undefined ||
      gone(metadata.namespace ?? '') ||
      (item.kind === 'Namespace' && gone(metadata.name)) ||
      owners.some((owner) => {
        const found = byUid.get(owner.uid);
        return found === undefined || (depth < 8 && going(found, depth + 1));
      });
    memo.set(key, result);
    return result;
  };
  return (item) => going(item);
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
