import type { KindName } from '../kinds.ts';
import type { StoredObject } from '../objects.ts';
import type { Ref } from '../port.ts';
import type { KindCache } from './kind-cache.ts';
import { versionOf } from './versions.ts';

type Deletion = { key: string; namespace: string | undefined; name: string; uid: string | undefined; at: number };

/** What a list must see: this server's writes to the kind noted before the list began. */
export type Expectation = { version: bigint; deletions: Deletion[]; deadline: number };

/**
 * What this server wrote, per kind, so that a cached list shows it (read-your-writes): the newest
 * version a write returned, and the deletions not yet seen (a delete returns no version). A cache
 * shows a list's expectation once it has seen that version and each deleted object is gone from it,
 * carries a `deletionTimestamp`, or was replaced by a new object of the same name. A list expects
 * only the writes noted when it began: writes that land while it waits are not its to wait for.
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
    const key = `${ref.namespace ?? ''}/${ref.name}`;
    deletions.set(key, { key, namespace: ref.namespace, name: ref.name, uid: cached?.metadata.uid, at: Date.now() });
  }

  /** What a list of the kind beginning now must see, and until when it may wait for it. */
  expectation(kind: KindName): Expectation {
    const newest = this.#newest.get(kind);
    const deletions = [...(this.#deletions.get(kind)?.values() ?? [])];
    const latest = deletions.reduce((at, deletion) => Math.max(at, deletion.at), newest?.at ?? 0);
    return { version: newest?.version ?? 0n, deletions, deadline: latest + this.#boundMs };
  }

  /**
   * Whether the cache shows the expectation. Forgets the deletions it shows, and those older than the
   * bound (a namesake created since may hide the deletion for good; past the bound the promise is the
   * eventual one anyway).
   */
  shown(cache: KindCache<KindName>, expectation: Expectation): boolean {
    if (cache.version < expectation.version) return false;
    const now = Date.now();
    const noted = this.#deletions.get(cache.kind);
    let shown = true;
    for (const deletion of expectation.deletions) {
      const object = cache.get(deletion.namespace, deletion.name);
      const gone =
        object === undefined ||
        object.metadata.deletionTimestamp !== undefined ||
        (deletion.uid !== undefined && object.metadata.uid !== deletion.uid);
      if (gone || deletion.at + this.#boundMs <= now) {
        if (noted?.get(deletion.key) === deletion) noted.delete(deletion.key);
      } else {
        shown = false;
      }
    }
    if (noted?.size === 0) this.#deletions.delete(cache.kind);
    return shown;
  }
}
