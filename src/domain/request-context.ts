import type { AuthInfo } from '../auth/identity.ts';
import type { Config } from '../config/schema.ts';
import { unknownError } from '../errors/api-error.ts';
import type { Scope } from '../http/operation.ts';
import type { Store, StoreSession } from '../store/port.ts';
import { NamespacesMemo, Visibility } from './visibility.ts';

/**
 * What domain services work with for one request: the caller, a store session acting as them (so the
 * backend's RBAC decides), the server's own session for lookups no user may make, and what the caller
 * can see.
 */
export type RequestContext = {
  auth: AuthInfo;
  user: StoreSession;
  server: StoreSession;
  visibility: Visibility;
  config: Config;
  /** Adds a warning to the response's `X-Cf-Warnings`. */
  warn(message: string): void;
};

/** Each store's memo of who is named where (see NamespacesMemo). */
const memos = new WeakMap<Store, NamespacesMemo>();

function memoOf(store: Store): NamespacesMemo {
  let memo = memos.get(store);
  if (memo === undefined) {
    memo = new NamespacesMemo();
    memos.set(store, memo);
  }
  return memo;
}

export function requestContext(scope: Scope): RequestContext {
  const { auth, runtime } = scope;
  if (!auth) throw unknownError(new Error('an authenticated operation ran without authentication'));
  const { identity, credentials } = auth;
  const server = runtime.store.privileged();
  return {
    auth,
    user: runtime.store.as({ name: identity.name, groups: identity.groups, credentials }),
    server,
    visibility: new Visibility(server, identity, runtime.config.rootNamespace, memoOf(runtime.store)),
    config: runtime.config,
    warn: (message) => scope.warn(message),
  };
}
