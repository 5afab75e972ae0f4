import { deadlinePassed } from '../call-deadline.ts';
import { StoreError, storeErrors } from '../errors.ts';
import { apiVersionOf, kinds, type KindDescriptor, type KindName } from '../kinds.ts';
import type { NewObject, StoredObject } from '../objects.ts';
import type {
  AccessTarget,
  AccessVerb,
  CallOptions,
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
import { isAddressableName, refOf } from '../refs.ts';
import { waitForAbsence, waitForCondition } from '../waiting.ts';
import { translateKubernetesError } from './error-translation.ts';
import { startWatch } from './kubernetes-watch.ts';
import { resourcePath } from './paths.ts';
import type { RestClient, RestRequest } from './rest-client.ts';
import { fieldSelectorValue, labelSelectorQuery } from './selector-syntax.ts';

const mergePatchType = 'application/merge-patch+json';

/** One identity's view of the apiserver: every port call is one REST call made with its credentials. */
export class KubernetesSession implements StoreSession {
  readonly #client: RestClient;
  /** Undoes a failed createAll; the server's own session, since the caller may create but not delete. */
  readonly #undo: () => KubernetesSession;

  constructor(client: RestClient, undo?: () => KubernetesSession) {
    this.#client = client;
    this.#undo = undo ?? (() => this);
  }

  close(graceMs = 0): void {
    this.#client.close(graceMs);
  }

  async get<K extends KindName>(ref: Ref<K>, options?: CallOptions): Promise<StoredObject<K>> {
    return this.#call({ method: 'GET', path: objectPath(ref) }, options);
  }

  async list<K extends KindName>(kind: K, options: ListOptions = {}): Promise<ObjectList<K>> {
    const query = listQuery(options);
    if (query === null) return { items: [], resourceVersion: await this.#currentVersion(kind, options) };
    const path = resourcePath(kinds[kind], { namespace: options.namespace });
    const list = await this.#call<{ items: StoredObject<K>[]; metadata: { resourceVersion: string } }>({ method: 'GET', path, query });
    // Lists leave out each item's kind and apiVersion; put them back so items look like gets.
    const apiVersion = apiVersionOf(kinds[kind]);
    return { items: list.items.map((item) => ({ ...item, kind, apiVersion })), resourceVersion: list.metadata.resourceVersion };
  }

  async create<K extends KindName>(object: NewObject<K>, options?: CallOptions): Promise<StoredObject<K>> {
    const kind = kinds[object.kind];
    if (kind.namespaced && object.metadata.namespace === undefined) {
      throw storeErrors.invalid(`${kind.plural} "${object.metadata.name}": metadata.namespace is required`);
    }
    // The apiserver answers 500 for this; it is the caller's mistake.
    if (object.metadata.resourceVersion)
      throw storeErrors.invalid(`${kind.plural} "${object.metadata.name}": resourceVersion must not be set on create`);
    const path = resourcePath(kind, { namespace: object.metadata.namespace });
    return this.#call({ method: 'POST', path, body: { ...object, apiVersion: apiVersionOf(kinds[object.kind]) } }, options);
  }

  async createAll(objects: NewObject[]): Promise<StoredObject[]> {
    const created: StoredObject[] = [];
    try {
      for (const object of objects) created.push(await this.create(object));
      return created;
    } catch (error) {
      // Undo in reverse order; a failed undo is left for the caller's error to explain.
      for (const made of created.reverse())
        await this.#undo()
          .delete(refOf(made))
          .catch(() => undefined);
      throw error;
    }
  }

  async update<K extends KindName>(object: StoredObject<K>, options?: CallOptions): Promise<StoredObject<K>> {
    requireResourceVersion(object);
    requireWellFormedVersion(object.metadata.resourceVersion, object);
    return this.#call({ method: 'PUT', path: objectPath(refOf(object)), body: object }, options);
  }

  async patch<K extends KindName>(ref: Ref<K>, patch: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>> {
    requireWellFormedVersion(
      preconditions?.resourceVersion ?? (patch['metadata'] as { resourceVersion?: string } | undefined)?.resourceVersion,
      ref,
    );
    return this.#call({
      method: 'PATCH',
      path: objectPath(ref),
      body: withPrecondition(patch, preconditions),
      contentType: mergePatchType,
    });
  }

  async updateStatus<K extends KindName>(object: StoredObject<K>): Promise<StoredObject<K>> {
    requireResourceVersion(object);
    requireWellFormedVersion(object.metadata.resourceVersion, object);
    requireStatusSubresource(kinds[object.kind]);
    return this.#call({ method: 'PUT', path: objectPath(refOf(object), 'status'), body: object });
  }

  async patchStatus<K extends KindName>(ref: Ref<K>, status: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>> {
    requireStatusSubresource(kinds[ref.kind]);
    requireWellFormedVersion(preconditions?.resourceVersion, ref);
    const body = withPrecondition({ status }, preconditions);
    return this.#call({ method: 'PATCH', path: objectPath(ref, 'status'), body, contentType: mergePatchType });
  }

  async delete(ref: Ref, preconditions?: WritePreconditions): Promise<void> {
    requireWellFormedVersion(preconditions?.resourceVersion, ref);
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      ...(preconditions?.resourceVersion ? { preconditions: { resourceVersion: preconditions.resourceVersion } } : {}),
    };
    await this.#call({ method: 'DELETE', path: objectPath(ref), body });
  }

  async watch<K extends KindName>(kind: K, options: WatchOptions, onEvent: (event: WatchEvent<K>) => void): Promise<Watch> {
    const query = listQuery(options);
    if (query === null) return { stop: () => undefined, closed: Promise.resolve() };
    if (options.namespace !== undefined && !isAddressableName(options.namespace))
      return { stop: () => undefined, closed: Promise.resolve() };
    const request: RestRequest = { method: 'GET', path: resourcePath(kinds[kind], { namespace: options.namespace }), query };
    const apiVersion = apiVersionOf(kinds[kind]);
    return startWatch<K>(this.#client, request, options.resourceVersion, (event) =>
      onEvent({ type: event.type, object: { ...event.object, kind, apiVersion } }),
    );
  }

  waitFor<K extends KindName>(
    ref: Ref<K>,
    condition: (object: StoredObject<K>) => boolean,
    options: WaitOptions,
  ): Promise<StoredObject<K>> {
    return waitForCondition(this, ref, condition, options);
  }

  waitForDeletion(ref: Ref, options: WaitOptions): Promise<void> {
    return waitForAbsence(this, ref, options);
  }

  /** A SelfSubjectAccessReview made with this session's credentials (every authenticated user may make one). */
  async canI(verb: AccessVerb, target: AccessTarget): Promise<boolean> {
    const descriptor = kinds[target.kind];
    const review = await this.#call<{ status?: { allowed?: boolean } }>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            group: descriptor.group,
            resource: descriptor.plural,
            verb,
            ...(descriptor.namespaced && target.namespace !== undefined ? { namespace: target.namespace } : {}),
            ...(target.name === undefined ? {} : { name: target.name }),
          },
        },
      },
    });
    return review.status?.allowed === true;
  }

  /** The collection's current version, for a list answered without asking for objects (still authorized as a list). */
  async #currentVersion(kind: KindName, options: ListOptions): Promise<string> {
    const namespace = options.namespace !== undefined && isAddressableName(options.namespace) ? options.namespace : undefined;
    const path = resourcePath(kinds[kind], { namespace });
    const list = await this.#call<{ metadata: { resourceVersion: string } }>({ method: 'GET', path, query: { limit: '1' } });
    return list.metadata.resourceVersion;
  }

  async #call<T>(request: RestRequest, options?: CallOptions): Promise<T> {
    try {
      return await this.#client.request<T>(request, options?.signal);
    } catch (error) {
      if (options?.signal?.aborted) throw deadlinePassed(error);
      throw translateKubernetesError(error);
    }
  }
}

function objectPath(ref: Ref, subresource?: 'status'): string {
  return resourcePath(kinds[ref.kind], { namespace: ref.namespace, name: ref.name, ...(subresource ? { subresource } : {}) });
}

/** The list's query, or null when nothing can match (an impossible selector, name or namespace). */
function listQuery(options: ListOptions): Record<string, string | undefined> | null {
  const labelSelector = labelSelectorQuery(options.labelSelector);
  if (labelSelector === null) return null;
  if (options.name !== undefined && !isAddressableName(options.name)) return null;
  if (options.namespace !== undefined && !isAddressableName(options.namespace)) return null;
  return {
    labelSelector,
    fieldSelector: options.name === undefined ? undefined : `metadata.name=${fieldSelectorValue(options.name)}`,
  };
}

function withPrecondition(patch: MergePatch, preconditions: WritePreconditions | undefined): MergePatch {
  if (!preconditions?.resourceVersion) return patch;
  const metadata = (patch['metadata'] ?? {}) as Record<string, unknown>;
  return { ...patch, metadata: { ...metadata, resourceVersion: preconditions.resourceVersion } };
}

function requireResourceVersion(object: StoredObject): void {
  if (!object.metadata.resourceVersion) {
    throw storeErrors.invalid(
      `${kinds[object.kind].plural} "${object.metadata.name}": metadata.resourceVersion must be specified for an update`,
    );
  }
}

/** As the apiserver answers for a subresource a kind does not have. */
function requireStatusSubresource(kind: KindDescriptor): void {
  if (!kind.statusSubresource) throw new StoreError('NotFound', 'the server could not find the requested resource');
}

/** Versions are decimal counters; any other string can never be current (the apiserver would answer 500). */
function requireWellFormedVersion(
  resourceVersion: string | undefined,
  target: { metadata?: { name: string }; name?: string; kind: KindName },
): void {
  if (resourceVersion === undefined || /^\d+$/.test(resourceVersion)) return;
  throw storeErrors.conflict(kinds[target.kind].plural, target.metadata?.name ?? target.name ?? '');
}
