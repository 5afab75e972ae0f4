import { isStoreError } from '../errors.ts';
import type { KindName } from '../kinds.ts';
import { applyMergePatch } from '../merge-patch.ts';
import type { NewObject, StoredObject } from '../objects.ts';
import type {
  ListOptions,
  MergePatch,
  ObjectList,
  Ref,
  StoreSession,
  WaitOptions,
  Watch,
  WatchEvent,
  WatchOptions,
  WritePreconditions,
} from '../port.ts';
import { derivedLabels, isLabelledKind, label, timestampLabelValue } from './label-rules.ts';

const createdAt = label('created_at');
const updatedAt = label('updated_at');
const conflictRetries = 5;

/**
 * Sets on every write the labels Korifi's mutating webhooks would add (guid, created_at,
 * updated_at and the per-kind index labels), so that lists and filters work on a cluster without
 * Korifi — and on the embedded store — exactly as they would with it. Reads pass straight through.
 */
export class LabellingSession implements StoreSession {
  readonly #inner: StoreSession;
  readonly #now: () => Date;

  constructor(inner: StoreSession, now: () => Date = () => new Date()) {
    this.#inner = inner;
    this.#now = now;
  }

  get<K extends KindName>(ref: Ref<K>): Promise<StoredObject<K>> {
    return this.#inner.get(ref);
  }

  list<K extends KindName>(kind: K, options?: ListOptions): Promise<ObjectList<K>> {
    return this.#inner.list(kind, options);
  }

  create<K extends KindName>(object: NewObject<K>): Promise<StoredObject<K>> {
    return this.#inner.create(this.#labelNew(object));
  }

  createAll(objects: NewObject[]): Promise<StoredObject[]> {
    return this.#inner.createAll(objects.map((object) => this.#labelNew(object)));
  }

  update<K extends KindName>(object: StoredObject<K>): Promise<StoredObject<K>> {
    if (!isLabelledKind(object.kind)) return this.#inner.update(object);
    return this.#inner.update(this.#withLabels(object, { touch: true }));
  }

  /**
   * The index labels depend on the patched result, so the patch is applied to a fresh read and sent
   * with that read's resourceVersion; a concurrent write makes it retry (unless the caller gave a
   * precondition, which then decides).
   */
  async patch<K extends KindName>(ref: Ref<K>, patch: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>> {
    if (!isLabelledKind(ref.kind)) return this.#inner.patch(ref, patch, preconditions);
    for (let attempt = 1; ; attempt++) {
      const current = await this.#inner.get(ref);
      const patched = applyMergePatch(current, patch) as StoredObject<K>;
      if (sameIgnoringUpdatedAt(this.#withLabels(patched, { touch: false }), current)) return current;
      const labels = this.#withLabels(patched, { touch: true }).metadata.labels;
      const resourceVersion = preconditions?.resourceVersion ?? current.metadata.resourceVersion!;
      const labelled = {
        ...patch,
        metadata: { ...asObject(patch['metadata']), labels: { ...asObject(asObject(patch['metadata'])['labels']), ...labels } },
      };
      try {
        return await this.#inner.patch(ref, labelled, { resourceVersion });
      } catch (error) {
        if (preconditions?.resourceVersion || !isStoreError(error, 'Conflict') || attempt >= conflictRetries) throw error;
      }
    }
  }

  async updateStatus<K extends KindName>(object: StoredObject<K>): Promise<StoredObject<K>> {
    return this.#relabelAfterStatus(await this.#inner.updateStatus(object));
  }

  async patchStatus<K extends KindName>(ref: Ref<K>, status: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>> {
    return this.#relabelAfterStatus(await this.#inner.patchStatus(ref, status, preconditions));
  }

  delete(ref: Ref, preconditions?: WritePreconditions): Promise<void> {
    return this.#inner.delete(ref, preconditions);
  }

  watch<K extends KindName>(kind: K, options: WatchOptions, onEvent: (event: WatchEvent<K>) => void): Promise<Watch> {
    return this.#inner.watch(kind, options, onEvent);
  }

  waitFor<K extends KindName>(
    ref: Ref<K>,
    condition: (object: StoredObject<K>) => boolean,
    options: WaitOptions,
  ): Promise<StoredObject<K>> {
    return this.#inner.waitFor(ref, condition, options);
  }

  waitForDeletion(ref: Ref, options: WaitOptions): Promise<void> {
    return this.#inner.waitForDeletion(ref, options);
  }

  #labelNew<K extends KindName>(object: NewObject<K>): NewObject<K> {
    if (!isLabelledKind(object.kind)) return object;
    const labels = { ...derivedLabels(object as StoredObject), [createdAt]: timestampLabelValue(this.#now()) };
    return { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, ...labels } } };
  }

  #withLabels<K extends KindName>(object: StoredObject<K>, options: { touch: boolean }): StoredObject<K> {
    const labels = {
      ...object.metadata.labels,
      ...derivedLabels(object),
      ...(options.touch ? { [updatedAt]: timestampLabelValue(this.#now()) } : {}),
    };
    return { ...object, metadata: { ...object.metadata, labels } };
  }

  /** Status-derived labels (ready, package-state, build-state, …) follow a status write with a label patch. */
  async #relabelAfterStatus<K extends KindName>(written: StoredObject<K>): Promise<StoredObject<K>> {
    if (!isLabelledKind(written.kind)) return written;
    let current = written;
    for (let attempt = 1; ; attempt++) {
      const wanted = derivedLabels(current);
      const stale = Object.entries(wanted).filter(([key, value]) => current.metadata.labels?.[key] !== value);
      if (stale.length === 0) return current;
      try {
        return await this.#inner.patch(
          refOf(current),
          { metadata: { labels: Object.fromEntries(stale) } },
          { resourceVersion: current.metadata.resourceVersion! },
        );
      } catch (error) {
        if (!isStoreError(error, 'Conflict') || attempt >= conflictRetries) throw error;
        current = await this.#inner.get(refOf(current));
      }
    }
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function refOf<K extends KindName>(object: StoredObject<K>): Ref<K> {
  const { name, namespace } = object.metadata;
  return namespace === undefined ? { kind: object.kind, name } : { kind: object.kind, name, namespace };
}

/** Whether a patch would change nothing but the updated_at label (then it is not sent at all). */
function sameIgnoringUpdatedAt<K extends KindName>(patched: StoredObject<K>, current: StoredObject<K>): boolean {
  const comparable = (object: StoredObject<K>) => {
    const metadata: Record<string, unknown> = { ...object.metadata, labels: { ...object.metadata.labels, [updatedAt]: null } };
    delete metadata['resourceVersion'];
    delete metadata['managedFields'];
    return JSON.stringify(canonical({ ...object, metadata }));
  };
  return comparable(patched) === comparable(current);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}
