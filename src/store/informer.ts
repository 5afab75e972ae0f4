import type { Logger } from '../logger.ts';
import type { KindName } from './kinds.ts';
import type { StoredObject } from './objects.ts';
import type { ListOptions, StoreSession, Watch, WatchEvent } from './port.ts';

export type InformerOptions<K extends KindName> = {
  session: StoreSession;
  kind: K;
  /** Omit to follow the kind in every namespace. */
  namespace?: string;
  logger: Logger;
  /**
   * The complete current set of objects, after the first list and after every list that follows a
   * watch's end, with the list's version (the watch that follows starts from it).
   */
  onList(objects: StoredObject<K>[], resourceVersion: string): void;
  onEvent(event: WatchEvent<K>): void;
  /** The watch after a list runs: from now on every change is delivered, until `onWatchEnded`. */
  onWatching?(): void;
  /** The watch ended; until the next `onList`, changes are not delivered (a list follows, after a delay). */
  onWatchEnded?(): void;
  /** Delay before listing again after the first failure; doubles with each further failure. */
  restartDelayMs?: number;
  /** `onList` only reads the objects: list them `readOnly` (shared and frozen on the embedded store). */
  readOnly?: boolean;
};

const maxRestartDelayMs = 30_000;

/**
 * List, then watch from the list's version; when the backend ends the watch (a Kubernetes watch can
 * end with 410 Gone, an embedded one when the store closes), list again and watch anew, so nothing
 * in between is missed: the new list says what exists now.
 */
export class Informer<K extends KindName> {
  readonly #options: InformerOptions<K>;
  readonly #listOptions: ListOptions;
  #watch: Watch | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #restarting: Promise<void> | undefined;
  #failures = 0;
  #stopped = false;

  constructor(options: InformerOptions<K>) {
    this.#options = options;
    this.#listOptions = options.namespace === undefined ? {} : { namespace: options.namespace };
    if (options.readOnly === true) this.#listOptions.readOnly = true;
  }

  /** Resolves once the first list has been handed over and the watch runs; rejects if either fails. */
  start(): Promise<void> {
    return this.#listAndWatch();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    this.#watch?.stop();
    await this.#restarting;
  }

  async #listAndWatch(): Promise<void> {
    const { session, kind } = this.#options;
    const list = await session.list(kind, this.#listOptions);
    if (this.#stopped) return;
    this.#options.onList(list.items, list.resourceVersion);
    const watch = await session.watch(kind, { ...this.#listOptions, resourceVersion: list.resourceVersion }, (event) =>
      this.#deliver(event),
    );
    if (this.#stopped) {
      watch.stop();
      return;
    }
    this.#watch = watch;
    this.#failures = 0;
    this.#options.onWatching?.();
    watch.closed.then(
      () => this.#ended(new Error('the watch ended')),
      (error: unknown) => this.#ended(error),
    );
  }

  #deliver(event: WatchEvent<K>): void {
    if (this.#stopped) return;
    try {
      this.#options.onEvent(event);
    } catch (error) {
      // A handler's bug must not end the watch; the periodic resync covers what it missed.
      this.#options.logger.warn({ err: error, kind: this.#options.kind }, 'informer event handler failed');
    }
  }

  #ended(error: unknown): void {
    if (this.#stopped) return;
    this.#watch = undefined;
    this.#options.onWatchEnded?.();
    this.#options.logger.warn({ err: error, kind: this.#options.kind, namespace: this.#options.namespace }, 'watch ended; listing again');
    this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    this.#failures++;
    const delay = Math.min((this.#options.restartDelayMs ?? 200) * 2 ** Math.min(this.#failures - 1, 20), maxRestartDelayMs);
    this.#restartTimer = setTimeout(() => {
      this.#restarting = this.#listAndWatch()
        .catch((error: unknown) => {
          if (this.#stopped) return;
          this.#options.logger.warn({ err: error, kind: this.#options.kind }, 'listing again after a watch ended failed; retrying');
          this.#scheduleRestart();
        })
        .finally(() => (this.#restarting = undefined));
    }, delay);
  }
}
