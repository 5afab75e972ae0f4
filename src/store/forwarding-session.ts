import type { KindName } from './kinds.ts';
import type { NewObject, StoredObject } from './objects.ts';
import type {
  AccessTarget,
  AccessVerb,
  CallOptions,
  GetOptions,
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
} from './port.ts';

/**
 * A session that hands every call to another one. Decorators of the port (labels, the read cache)
 * extend it and override only the calls they change, so the rest cannot drift from the port.
 */
export class ForwardingSession implements StoreSession {
  protected readonly inner: StoreSession;

  constructor(inner: StoreSession) {
    this.inner = inner;
  }

  get<K extends KindName>(ref: Ref<K>, options?: GetOptions): Promise<StoredObject<K>> {
    return this.inner.get(ref, options);
  }

  list<K extends KindName>(kind: K, options?: ListOptions): Promise<ObjectList<K>> {
    return this.inner.list(kind, options);
  }

  create<K extends KindName>(object: NewObject<K>, options?: CallOptions): Promise<StoredObject<K>> {
    return this.inner.create(object, options);
  }

  createAll(objects: NewObject[]): Promise<StoredObject[]> {
    return this.inner.createAll(objects);
  }

  update<K extends KindName>(object: StoredObject<K>, options?: CallOptions): Promise<StoredObject<K>> {
    return this.inner.update(object, options);
  }

  patch<K extends KindName>(ref: Ref<K>, patch: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>> {
    return this.inner.patch(ref, patch, preconditions);
  }

  updateStatus<K extends KindName>(object: StoredObject<K>): Promise<StoredObject<K>> {
    return this.inner.updateStatus(object);
  }

  patchStatus<K extends KindName>(ref: Ref<K>, status: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>> {
    return this.inner.patchStatus(ref, status, preconditions);
  }

  delete(ref: Ref, preconditions?: WritePreconditions): Promise<void> {
    return this.inner.delete(ref, preconditions);
  }

  watch<K extends KindName>(kind: K, options: WatchOptions, onEvent: (event: WatchEvent<K>) => void): Promise<Watch> {
    return this.inner.watch(kind, options, onEvent);
  }

  waitFor<K extends KindName>(
    ref: Ref<K>,
    condition: (object: StoredObject<K>) => boolean,
    options: WaitOptions,
  ): Promise<StoredObject<K>> {
    return this.inner.waitFor(ref, condition, options);
  }

  waitForDeletion(ref: Ref, options: WaitOptions): Promise<void> {
    return this.inner.waitForDeletion(ref, options);
  }

  canI(verb: AccessVerb, target: AccessTarget): Promise<boolean> {
    return this.inner.canI(verb, target);
  }
}
