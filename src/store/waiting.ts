import { StoreError } from './errors.ts';
import type { KindName } from './kinds.ts';
import type { StoredObject } from './objects.ts';
import type { Ref, StoreSession, WaitOptions, Watch } from './port.ts';

type Watchable = Pick<StoreSession, 'list' | 'watch'>;

/**
 * The object (if it exists) and the version to watch from. A list by name gives the collection's
 * current version, where a get gives the object's own, which may be older than the changes a
 * backend keeps for watches (Kubernetes answers 410 Gone then). So waits need list and watch.
 */
async function readForWatch<K extends KindName>(session: Watchable, ref: Ref<K>, options: WaitOptions) {
  if (options.signal?.aborted) throw new StoreError('Timeout', `stopped waiting for ${ref.kind} "${ref.name}"`);
  const list = await session.list(ref.kind, { name: ref.name, ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }) });
  return { current: list.items[0], resourceVersion: list.resourceVersion };
}

/**
 * `waitFor` for any backend, from `list` and `watch`: read the object, and if the condition does
 * not hold yet, watch it from that read's version so that no change in between is missed.
 */
export async function waitForCondition<K extends KindName>(
  session: Watchable,
  ref: Ref<K>,
  condition: (object: StoredObject<K>) => boolean,
  options: WaitOptions,
): Promise<StoredObject<K>> {
  const { current, resourceVersion } = await readForWatch(session, ref, options);
  if (!current) throw new StoreError('NotFound', `${ref.kind} "${ref.name}" not found`);
  if (condition(current)) return current;
  return watchUntil<K, StoredObject<K>>(session, { ref, resourceVersion, ...options }, (event, settle) => {
    if (event.type === 'DELETED') settle.fail(new StoreError('NotFound', `${ref.kind} "${ref.name}" was deleted while waiting for it`));
    else if (condition(event.object)) settle.done(event.object);
  });
}

/** Resolves once the object is gone. */
export async function waitForAbsence(session: Watchable, ref: Ref, options: WaitOptions): Promise<void> {
  const { current, resourceVersion } = await readForWatch(session, ref, options);
  if (!current) return;
  await watchUntil<KindName, void>(session, { ref, resourceVersion, ...options }, (event, settle) => {
    if (event.type === 'DELETED') settle.done(undefined);
  });
}

type Settle<T> = { done(value: T): void; fail(error: Error): void };

type WatchTarget<K extends KindName> = WaitOptions & { ref: Ref<K>; resourceVersion: string | undefined };

async function watchUntil<K extends KindName, T>(
  session: Watchable,
  { ref, resourceVersion, ...options }: WatchTarget<K>,
  onEvent: (event: { type: string; object: StoredObject<K> }, settle: Settle<T>) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let watch: Watch | undefined;
    let finished = false;
    const finish = (outcome: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      watch?.stop();
      outcome();
    };
    const settle: Settle<T> = { done: (value) => finish(() => resolve(value)), fail: (error) => finish(() => reject(error)) };
    const timer = setTimeout(
      () => settle.fail(new StoreError('Timeout', `timed out after ${options.timeoutMs} ms waiting for ${ref.kind} "${ref.name}"`)),
      options.timeoutMs,
    );
    const onAbort = () => settle.fail(new StoreError('Timeout', `stopped waiting for ${ref.kind} "${ref.name}"`));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const watchOptions = { name: ref.name, ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }) };
    session
      .watch(ref.kind, resourceVersion === undefined ? watchOptions : { ...watchOptions, resourceVersion }, (event) =>
        onEvent(event, settle),
      )
      .then((started) => {
        watch = started;
        if (finished) started.stop();
        started.closed.catch((error: unknown) => settle.fail(error instanceof Error ? error : new Error(String(error))));
      })
      .catch((error: unknown) => settle.fail(error instanceof Error ? error : new Error(String(error))));
  });
}
