import { StoreError } from '../errors.ts';
import { ForwardingSession } from '../forwarding-session.ts';
import { kinds, type KindName } from '../kinds.ts';
import type { NewObject, StoredObject } from '../objects.ts';
import type {
  AccessTarget,
  CallOptions,
  ListOptions,
  MergePatch,
  ObjectList,
  Ref,
  StoreSession,
  StoreUser,
  WritePreconditions,
} from '../port.ts';
import { credentialKey } from '../credential-key.ts';
import { settledWithoutListing } from './list-filter.ts';
import { listTarget, type ReadCache } from './read-cache.ts';

/**
 * A session whose read-only lists the shared cache answers when it can (for a user, once the user
 * may list there); every other call goes to the inner session, and every write is noted so that
 * the next cached list shows it.
 */
export class ReadCacheSession extends ForwardingSession {
  readonly #cache: ReadCache;
  /** Undefined for the server's own session, which may list everything. */
  readonly #user: StoreUser | undefined;

  constructor(inner: StoreSession, cache: ReadCache, user: StoreUser | undefined) {
    super(inner);
    this.#cache = cache;
    this.#user = user;
  }

  override async list<K extends KindName>(kind: K, options: ListOptions = {}): Promise<ObjectList<K>> {
    if (options.readOnly !== true || settledWithoutListing(options)) return this.inner.list(kind, options);
    const cache = await this.#cache.ready(kind);
    if (cache === undefined) return this.inner.list(kind, options);
    if (this.#user !== undefined) {
      const target = listTarget(kind, options);
      if (!(await this.#cache.mayList(this.inner, credentialKey(this.#user.credentials), target))) {
        throw listForbidden(this.#user.name, target);
      }
    }
    return { items: cache.list(options), resourceVersion: String(cache.version) };
  }

  override async create<K extends KindName>(object: NewObject<K>, options?: CallOptions): Promise<StoredObject<K>> {
    return this.#noted(await this.inner.create(object, options));
  }

  override async createAll(objects: NewObject[]): Promise<StoredObject[]> {
    const created = await this.inner.createAll(objects);
    for (const object of created) this.#cache.noteWrite(object);
    return created;
  }

  override async update<K extends KindName>(object: StoredObject<K>, options?: CallOptions): Promise<StoredObject<K>> {
    return this.#noted(await this.inner.update(object, options));
  }

  override async patch<K extends KindName>(ref: Ref<K>, patch: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>> {
    return this.#noted(await this.inner.patch(ref, patch, preconditions));
  }

  override async updateStatus<K extends KindName>(object: StoredObject<K>): Promise<StoredObject<K>> {
    return this.#noted(await this.inner.updateStatus(object));
  }

  override async patchStatus<K extends KindName>(
    ref: Ref<K>,
    status: MergePatch,
    preconditions?: WritePreconditions,
  ): Promise<StoredObject<K>> {
    return this.#noted(await this.inner.patchStatus(ref, status, preconditions));
  }

  override async delete(ref: Ref, preconditions?: WritePreconditions): Promise<void> {
    const cached = this.#cache.cached(ref);
    await this.inner.delete(ref, preconditions);
    this.#cache.noteDelete(ref, cached);
  }

  #noted<K extends KindName>(object: StoredObject<K>): StoredObject<K> {
    this.#cache.noteWrite(object);
    return object;
  }
}

/** As the apiserver words a list it refuses. */
function listForbidden(user: string, target: AccessTarget): StoreError {
  const { group, plural } = kinds[target.kind];
  const resource = group === '' ? plural : `${plural}.${group}`;
  const scope = target.namespace === undefined ? 'at the cluster scope' : `in the namespace "${target.namespace}"`;
  return new StoreError(
    'Forbidden',
    `${resource} is forbidden: User "${user}" cannot list resource "${plural}" in API group "${group}" ${scope}`,
  );
}
