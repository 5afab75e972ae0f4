import { storeErrors } from '../errors.ts';
import type { KindName } from '../kinds.ts';
import type { NewObject, StoredObject } from '../objects.ts';
import { refuseIfAborted } from '../call-deadline.ts';
import type {
  AccessTarget,
  AccessVerb,
  CallOptions,
  GetOptions,
  ListOptions,
  MergePatch,
  Ref,
  StoreSession,
  WaitOptions,
  WatchEvent,
  WatchOptions,
  WritePreconditions,
} from '../port.ts';
import { waitForAbsence, waitForCondition } from '../waiting.ts';
import type { EmbeddedEngine } from './embedded-engine.ts';
import { authenticatedGroup } from '../../auth/identity.ts';
import type { UserInfo } from './rbac-authorizer.ts';
import { escalationCheck } from './rbac-escalation.ts';
import { requestAttributes, type Verb } from './request-attributes.ts';
import { descriptorOf, keyOfRef, type Resource } from './resource.ts';
import { toStoreError } from './sqlite-errors.ts';

type Target = { kind: KindName; namespace?: string | undefined; name?: string | undefined };

/**
 * A StoreSession over the engine. With a user, every call is first authorized as Kubernetes' RBAC
 * authorizer would (Forbidden before anything else, even for objects that do not exist); without
 * one it acts as the server itself.
 */
export function createSession(engine: EmbeddedEngine, user: UserInfo | undefined): StoreSession {
  // The RBAC storage's escalation rules, checked inside the write (the privileged session is exempt).
  const admit = user === undefined ? undefined : escalationCheck(engine.policy, user);
  const authorize = (verb: Verb, target: Target, subresource?: 'status') => {
    if (user === undefined) return;
    const request = requestAttributes(verb, target, subresource);
    if (!engine.policy.allows(user, request)) {
      const resource = subresource === undefined ? request.resource : `${request.resource}/${subresource}`;
      throw storeErrors.forbidden(user.name, verb, resource, request.namespace);
    }
  };
  const objectTarget = (object: NewObject | StoredObject): Target => ({
    kind: object.kind,
    namespace: descriptorOf(object.kind).namespaced ? object.metadata?.namespace : undefined,
    name: object.metadata?.name,
  });

  const session: StoreSession = {
    async get<K extends KindName>(ref: Ref<K>, options?: GetOptions) {
      return run(() => {
        refuseIfAborted(options);
        const key = keyOfRef(ref);
        authorize('get', key);
        return stored<K>(engine.get(key, options?.readOnly === true));
      });
    },
    async list<K extends KindName>(kind: K, options: ListOptions = {}) {
      return run(() => {
        authorize('list', { kind, namespace: options.namespace, name: options.name });
        const { items, resourceVersion } = engine.list(kind, options);
        // The engine's array as it is: with readOnly it is shared (and frozen) too.
        return { items: items as unknown as StoredObject<K>[], resourceVersion };
      });
    },
    async create<K extends KindName>(object: NewObject<K>, options?: CallOptions) {
      return run(() => {
        refuseIfAborted(options);
        authorize('create', objectTarget(object));
        return stored<K>(engine.create([object], { admit })[0]!);
      });
    },
    async createAll(objects: NewObject[]) {
      return run(() => {
        for (const object of objects) authorize('create', objectTarget(object));
        return engine.create(objects, { admit }).map((item) => stored(item));
      });
    },
    async update<K extends KindName>(object: StoredObject<K>, options?: CallOptions) {
      return run(() => {
        refuseIfAborted(options);
        authorize('update', objectTarget(object));
        return stored<K>(engine.update(object, { admit }));
      });
    },
    async updateStatus<K extends KindName>(object: StoredObject<K>) {
      return run(() => {
        authorize('update', objectTarget(object), 'status');
        return stored<K>(engine.update(object, { subresource: 'status' }));
      });
    },
    async patch<K extends KindName>(ref: Ref<K>, patch: MergePatch, preconditions: WritePreconditions = {}) {
      return run(() => {
        const key = keyOfRef(ref);
        authorize('patch', key);
        return stored<K>(engine.patch(key, patch, { preconditions, admit }));
      });
    },
    async patchStatus<K extends KindName>(ref: Ref<K>, status: MergePatch, preconditions: WritePreconditions = {}) {
      return run(() => {
        const key = keyOfRef(ref);
        authorize('patch', key, 'status');
        return stored<K>(engine.patch(key, status, { preconditions, subresource: 'status' }));
      });
    },
    async delete(ref: Ref, preconditions: WritePreconditions = {}) {
      run(() => {
        const key = keyOfRef(ref);
        authorize('delete', key);
        engine.delete(key, preconditions);
      });
    },
    async watch<K extends KindName>(kind: K, options: WatchOptions, onEvent: (event: WatchEvent<K>) => void) {
      return run(() => {
        authorize('watch', { kind, namespace: options.namespace, name: options.name });
        return engine.watch(kind, options, onEvent as (event: WatchEvent<KindName>) => void);
      });
    },
    async waitFor<K extends KindName>(ref: Ref<K>, condition: (object: StoredObject<K>) => boolean, options: WaitOptions) {
      return waitForCondition(session, ref, condition, options);
    },
    async waitForDeletion(ref: Ref, options: WaitOptions) {
      return waitForAbsence(session, ref, options);
    },
    async canI(verb: AccessVerb, target: AccessTarget) {
      return user === undefined || engine.policy.allows(user, requestAttributes(verb, target));
    },
  };
  return session;
}

/** The identity RBAC sees for a store user: every authenticated user is in `system:authenticated`. */
export function userInfo(name: string, groups: readonly string[]): UserInfo {
  return { name, groups: groups.includes(authenticatedGroup) ? [...groups] : [...groups, authenticatedGroup] };
}

function stored<K extends KindName>(resource: Resource): StoredObject<K> {
  return resource as unknown as StoredObject<K>;
}

function run<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw toStoreError(error);
  }
}
