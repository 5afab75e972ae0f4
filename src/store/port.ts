import type { LabelSelector } from '../labels/selector.ts';
import type { Credentials } from '../auth/identity.ts';
import type { KindName } from './kinds.ts';
import type { NewObject, StoredObject } from './objects.ts';

/**
 * The storage port: everything domain code may ask of a backend. Objects are Korifi custom
 * resources (and a few core kinds) with Kubernetes semantics on both backends: optimistic
 * concurrency on `resourceVersion`, status as a separate write, `generation` bumped by spec changes,
 * label selectors, namespaces, ownerReference cascade and RBAC on every call.
 */
export interface Store {
  /** A session that acts as the request's user; the backend authorizes every call as that user. */
  as(user: StoreUser): StoreSession;
  /** A session that acts as the server itself, for work no user could do (reconcilers, lookups). */
  privileged(): StoreSession;
  close(): Promise<void>;
}

/**
 * Who a session acts as. The Kubernetes backend sends the credentials to the apiserver; the
 * embedded one authorizes `name` and `groups` against the stored RBAC objects.
 */
export type StoreUser = { name: string; groups: readonly string[]; credentials: Credentials };

export type Ref<K extends KindName = KindName> = { kind: K; namespace?: string; name: string };

export type ListOptions = {
  /** Omit to list in every namespace (needs cluster-wide permission). */
  namespace?: string;
  labelSelector?: LabelSelector;
  /** Only the object with this name (Kubernetes `fieldSelector=metadata.name=<name>`). */
  name?: string;
  /**
   * The caller only reads the items: the backend may hand out objects shared with other readers,
   * frozen so that changing one throws (the embedded store does, sparing a copy of every item, and
   * shares the array of items too, frozen: sort or filter a copy). Otherwise every item is the
   * caller's own to change.
   */
  readOnly?: boolean;
};

export type ObjectList<K extends KindName> = { items: StoredObject<K>[]; resourceVersion: string };

/** Preconditions on a write: with `resourceVersion`, a write to a newer object is a Conflict. */
export type WritePreconditions = { resourceVersion?: string };

/** A JSON merge patch (RFC 7386): objects merge, `null` removes, everything else replaces. */
export type MergePatch = Record<string, unknown>;

export type WatchEvent<K extends KindName> = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: StoredObject<K> };

export type WatchOptions = ListOptions & {
  /** Deliver changes after this version; omit to start with an ADDED event for every current object. */
  resourceVersion?: string;
};

/** A running watch. `closed` settles when it ends: resolved when stopped, rejected when the backend ends it. */
export type Watch = { stop(): void; readonly closed: Promise<void> };

export type WaitOptions = { timeoutMs: number; signal?: AbortSignal };

/**
 * Bounds one call: once `signal` aborts, the call rejects with Timeout instead of waiting for the
 * backend (a write may or may not have been carried out). For callers with a deadline of their own,
 * such as a leader that must stop before its lease can expire for others.
 */
export type CallOptions = { signal?: AbortSignal };

/** A get's options: as a list's, `readOnly` lets the backend hand out a shared, frozen object. */
export type GetOptions = CallOptions & { readOnly?: boolean };

export type AccessVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** What an access question is about: a kind, in a namespace (or cluster-wide), optionally one object. */
export type AccessTarget = { kind: KindName; namespace?: string; name?: string };

export interface StoreSession {
  get<K extends KindName>(ref: Ref<K>, options?: GetOptions): Promise<StoredObject<K>>;
  list<K extends KindName>(kind: K, options?: ListOptions): Promise<ObjectList<K>>;
  create<K extends KindName>(object: NewObject<K>, options?: CallOptions): Promise<StoredObject<K>>;
  /**
   * Creates several objects in order, all or none. Embedded: one transaction. Kubernetes: one by
   * one, deleting the ones already made when a later one fails (best effort: the apiserver has no
   * multi-object transactions).
   */
  createAll(objects: NewObject[]): Promise<StoredObject[]>;
  /** Replaces the object (not its status); `metadata.resourceVersion` is required and must be current. */
  update<K extends KindName>(object: StoredObject<K>, options?: CallOptions): Promise<StoredObject<K>>;
  /** Merge-patches the object (not its status). */
  patch<K extends KindName>(ref: Ref<K>, patch: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>>;
  /** Replaces only `status`; `metadata.resourceVersion` is required and must be current. Never bumps `generation`. */
  updateStatus<K extends KindName>(object: StoredObject<K>): Promise<StoredObject<K>>;
  /** Merge-patches only `status` (the patch is the status object itself, not wrapped). */
  patchStatus<K extends KindName>(ref: Ref<K>, status: MergePatch, preconditions?: WritePreconditions): Promise<StoredObject<K>>;
  /**
   * Deletes the object. With finalizers it only gets a `deletionTimestamp` until they are removed.
   * Its dependents (ownerReferences) and, for a namespace, its contents go too, in the background.
   */
  delete(ref: Ref, preconditions?: WritePreconditions): Promise<void>;
  /** Calls `onEvent` for each change of matching objects until stopped. */
  watch<K extends KindName>(kind: K, options: WatchOptions, onEvent: (event: WatchEvent<K>) => void): Promise<Watch>;
  /**
   * Resolves with the object once `condition` holds for it (checked now and on every change);
   * rejects with Timeout when it does not in time, NotFound if it is deleted while waiting.
   * Needs list and watch permission on the kind (as Korifi's waits do).
   */
  waitFor<K extends KindName>(ref: Ref<K>, condition: (object: StoredObject<K>) => boolean, options: WaitOptions): Promise<StoredObject<K>>;
  /** Resolves once the object no longer exists; rejects with Timeout otherwise. Needs list and watch. */
  waitForDeletion(ref: Ref, options: WaitOptions): Promise<void>;
  /**
   * Whether this session may do `verb` on the target, as Kubernetes' SelfSubjectAccessReview answers it,
   * without doing it: lets domain code refuse an action before work done as the server could reveal
   * anything (the privileged session may do everything).
   */
  canI(verb: AccessVerb, target: AccessTarget): Promise<boolean>;
}
