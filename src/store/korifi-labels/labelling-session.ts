import { isStoreError, StoreError, storeErrors } from '../errors.ts';
import { ForwardingSession } from '../forwarding-session.ts';
import { kinds, type KindName } from '../kinds.ts';
import { jsonEqual } from '../json-equal.ts';
import { applyMergePatch } from '../merge-patch.ts';
import { refOf } from '../refs.ts';
import type { NewObject, StoredObject } from '../objects.ts';
import type { CallOptions, MergePatch, Ref, StoreSession, WritePreconditions } from '../port.ts';
import { isLabelledKind, label, labelsPatch, timestampLabelValue, withDerivedLabels } from './label-rules.ts';

const createdAt = label('created_at');
const updatedAt = label('updated_at');
const conflictRetries = 5;

/**
 * Sets on every write the labels Korifi's mutating webhooks would add (guid, created_at,
 * updated_at and the per-kind index labels), so that lists and filters work on a cluster without
 * Korifi — and on the embedded store — exactly as they would with it. Reads pass straight through.
 */
export class LabellingSession extends ForwardingSession {
  readonly #now: () => Date;

  constructor(inner: StoreSession, now: () => Date = () => new Date()) {
    super(inner);
    this.#now = now;
  }

  override create<K extends KindName>(object: NewObject<K>, options?: CallOptions): Promise<StoredObject<K>> {
    return this.inner.create(this.#labelNew(object), options);
  }

  override createAll(objects: NewObject[]): Promise<StoredObject[]> {
    return this.inner.createAll(objects.map((object) => this.#labelNew(object)));
  }

  override update<K extends KindName>(object: StoredObject<K>, options?: CallOptions): Promise<StoredObject<K>> {
    if (!isLabelledKind(object.kind)) return this.inner.update(object, options);
    return this.inner.update(this.#withLabels(object, { touch: true }), options);
  }

  /**
   * The index labels depend on the patched result, so the patch is applied to a fresh read, and the
   * labels it must change are sent with it under that read's resourceVersion; a concurrent write
   * makes it retry (unless the caller gave a precondition, which then decides). Needs get as well as
   * patch permission, which every CF role that may patch has.
   */
  override async patch<K extends KindName>(ref: Ref<K>, patch: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>> {
    if (!isLabelledKind(ref.kind)) return this.inner.patch(ref, patch, preconditions);
    const expectedVersion = preconditions?.resourceVersion ?? (asObject(patch['metadata'])['resourceVersion'] as string | undefined);
    for (let attempt = 1; ; attempt++) {
      const current = await this.inner.get(ref);
      if (expectedVersion !== undefined && expectedVersion !== current.metadata.resourceVersion) {
        throw storeErrors.conflict(kinds[ref.kind].plural, ref.name);
      }
      const patched = applyMergePatch(current, patch) as StoredObject<K>;
      const untouched = withDerivedLabels(patched);
      if (sameExceptVersion({ ...patched, metadata: { ...patched.metadata, labels: untouched } }, current))
        return this.#unchanged(ref, current);
      // created_at is a fact of the object's history, not of this patch; it survives the patch.
      const stamps = { [updatedAt]: timestampLabelValue(this.#now()), ...pick(current.metadata.labels, createdAt) };
      const labels = labelsPatch(current.metadata.labels, withDerivedLabels(patched, stamps));
      const labelled = { ...patch, metadata: { ...asObject(patch['metadata']), labels } };
      try {
        return await this.inner.patch(ref, labelled, { resourceVersion: current.metadata.resourceVersion! });
      } catch (error) {
        if (expectedVersion !== undefined || !isStoreError(error, 'Conflict') || attempt >= conflictRetries) throw error;
      }
    }
  }

  override async updateStatus<K extends KindName>(object: StoredObject<K>): Promise<StoredObject<K>> {
    return this.#relabelAfterStatus(await this.inner.updateStatus(object));
  }

  override async patchStatus<K extends KindName>(
    ref: Ref<K>,
    status: MergePatch,
    preconditions?: WritePreconditions,
  ): Promise<StoredObject<K>> {
    return this.#relabelAfterStatus(await this.inner.patchStatus(ref, status, preconditions));
  }

  /**
   * Answered without a write, a patch that changes nothing must still be refused to whoever may not
   * patch, as the apiserver would: else a reader resending what is there gets a 200.
   */
  async #unchanged<K extends KindName>(ref: Ref<K>, current: StoredObject<K>): Promise<StoredObject<K>> {
    if (!(await this.inner.canI('patch', ref)))
      throw new StoreError('Forbidden', `${kinds[ref.kind].plural} "${ref.name}" is forbidden: cannot patch`);
    return current;
  }

  #labelNew<K extends KindName>(object: NewObject<K>): NewObject<K> {
    if (!isLabelledKind(object.kind)) return object;
    const labels = withDerivedLabels(object as StoredObject, { [createdAt]: timestampLabelValue(this.#now()) });
    return { ...object, metadata: { ...object.metadata, labels } };
  }

  #withLabels<K extends KindName>(object: StoredObject<K>, options: { touch: boolean }): StoredObject<K> {
    const labels = withDerivedLabels(object, options.touch ? { [updatedAt]: timestampLabelValue(this.#now()) } : {});
    return { ...object, metadata: { ...object.metadata, labels } };
  }

  /** Status-derived labels (ready, package-state, build-state, …) follow a status write with a label patch. */
  async #relabelAfterStatus<K extends KindName>(written: StoredObject<K>): Promise<StoredObject<K>> {
    if (!isLabelledKind(written.kind)) return written;
    let current = written;
    for (let attempt = 1; ; attempt++) {
      const labels = labelsPatch(current.metadata.labels, withDerivedLabels(current));
      if (Object.keys(labels).length === 0) return current;
      try {
        return await this.inner.patch(refOf(current), { metadata: { labels } }, { resourceVersion: current.metadata.resourceVersion! });
      } catch (error) {
        if (!isStoreError(error, 'Conflict') || attempt >= conflictRetries) throw error;
        current = await this.inner.get(refOf(current));
      }
    }
  }
}

function pick(labels: Record<string, string> | undefined, key: string): Record<string, string> {
  const value = labels?.[key];
  return value === undefined ? {} : { [key]: value };
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Whether two states of an object differ in nothing but their version bookkeeping. */
function sameExceptVersion<K extends KindName>(patched: StoredObject<K>, current: StoredObject<K>): boolean {
  const withoutVersion = (object: StoredObject<K>) => ({
    ...object,
    metadata: { ...object.metadata, resourceVersion: undefined, managedFields: undefined },
  });
  return jsonEqual(withoutVersion(patched), withoutVersion(current));
}
