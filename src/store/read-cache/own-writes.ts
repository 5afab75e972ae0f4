import type { KindName } from '../kinds.ts';
import type { StoredObject } from '../objects.ts';
import type { Ref } from '../port.ts';
import type { KindCache } from './kind-cache.ts';
import { versionOf } from './versions.ts';

type Deletion = { namespace: string | undefined; name: string; uid: string | undefined; at: number };

/**
 * What this server wrote, per kind, so that a cached list shows it (read-your-writes): the newest
 * version a write returned, and the deletions not yet seen (a delete returns no version). A cache is
 * caught up with a kind's writes once it has seen that version, and each deleted object is gone from
 * it, carries a `deletionTimestamp`, or was replaced by a new object of the same name.
 */
export class OwnWrites {
  readonly #boundMs: number;
  readonly #newest = new Map<KindName, { version: bigint; at: number }>();
  readonly #deletions = new Map<KindName, Map<string, Deletion>>();

  /** `boundMs`: how long after a write a list waits for the cache to show it (then the store answers). */
  constructor(boundMs: number) {
    this.#boundMs = boundMs;
  }

  noteWrite(object: StoredObject): void {
    const version = versionOf(object.metadata.resourceVersion);
    if (version === undefined) return;
    const newest = this.#newest.get(object.kind);
    if (newest === undefined || version >= newest.version) this.#newest.set(object.kind, { version, at: Date.now() });
  }

  /** `cached` is the object as the kind's cache holds it now, if it does (its uid tells a later namesake apart). */
  noteDelete(ref: Ref, cached: StoredObject | undefined): void {
    let deletions = this.#deletions.get(ref.kind);
    if (deletions === undefined) this.#deletions.set(ref.kind, (deletions = new Map<string, Deletion>()));
    deletions.set(`${ref.namespace ?? ''}/${ref.name}`, {
      namespace: ref.namespace,
      name: ref.name,
      uid: cached?.metadata.uid,
      at: Date.now(),
    });
  }

  /**
   * Whether the cache shows every write of its kind noted so far; forgets the deletions it shows, and
   * those older than the bound (a namesake created since may hide the deletion for good; past the
   * bound the promise is the eventual one anyway).
   */
  caughtUp(cache: KindCache<KindName>): boolean {
    const now = Date.now();
    const newest = this.#newest.get(cache.kind);
    if (newest !== undefined && cache.version < newest.version) return false;
    const deletions = this.#deletions.get(cache.kind);
    if (deletions === undefined) return true;
    for (const [key, deletion] of deletions) {
      const object = cache.get(deletion.namespace, deletion.name);
      const shown =
        object === undefined ||
        object.metadata.deletionTimestamp !== undefined ||
        (deletion.uid !== undefined && object.metadata.uid !== deletion.uid);
      if (!shown && deletion.at + this.#boundMs > now) return false;
      deletions.delete(key);
    }
    if (deletions.size === 0) this.#deletions.delete(cache.kind);
    return true;
  }

  /** When the kind's newest noted write is as old as the bound: waiting for the cache ends then. */
  deadline(kind: KindName): number {
    let latest = this.#newest.get(kind)?.at ?? 0;
    for (const deletion of this.#deletions.get(kind)?.values() ?? []) latest = Math.max(latest, deletion.at);
    return latest + this.#boundMs;
  }
}
