import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../src/logger.ts';
import { StoreError } from '../../src/store/errors.ts';
import type { KindName } from '../../src/store/kinds.ts';
import type { Store, StoreSession, Watch } from '../../src/store/port.ts';

export const sha224 = (value: string): string => createHash('sha224').update(value).digest('hex');

/** A pino logger that keeps its lines for the test to read (and prints them with RECONCILER_LOG=1). */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      if (process.env['RECONCILER_LOG'] === '1') process.stderr.write(text);
      for (const line of text.split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

type EndableWatch = { end(error: Error): void };

/**
 * A store whose watches the test controls: it can end them as a backend would (a Kubernetes watch
 * that expired, a connection lost: `closed` rejects and nothing more is delivered), or make them
 * miss events for a while (what a periodic resync is for), or refuse to start them.
 */
export function withControlledWatches(store: Store) {
  const live = new Set<EndableWatch>();
  let started = 0;
  let deaf = false;
  let refused: KindName | undefined;
  const wrapWatch = (inner: Watch): Watch => {
    let fail: (error: Error) => void = () => undefined;
    const closed = new Promise<void>((resolve, reject) => {
      fail = reject;
      inner.closed.then(resolve, reject);
    });
    closed.catch(() => undefined);
    const handle: EndableWatch = {
      end(error) {
        live.delete(handle);
        inner.stop();
        fail(error);
      },
    };
    live.add(handle);
    started++;
    return {
      stop() {
        live.delete(handle);
        inner.stop();
      },
      closed,
    };
  };
  const wrapSession = (session: StoreSession): StoreSession =>
    new Proxy(session, {
      get(target, property) {
        if (property === 'watch') {
          return async (...[kind, options, onEvent]: Parameters<StoreSession['watch']>) => {
            if (kind === refused) throw new StoreError('Forbidden', `${kind} may not be watched`);
            return wrapWatch(await target.watch(kind, options, (event) => (deaf ? undefined : onEvent(event))));
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  const wrapped: Store = {
    as: (user) => wrapSession(store.as(user)),
    privileged: () => wrapSession(store.privileged()),
    close: () => store.close(),
  };
  return {
    store: wrapped,
    /** Ends every live watch with this error. */
    endAll(error: Error) {
      for (const watch of [...live]) watch.end(error);
    },
    /** Watches of this kind fail to start (Forbidden). */
    set refused(kind: KindName | undefined) {
      refused = kind;
    },
    /** While true, every watch drops its events. */
    set deaf(value: boolean) {
      deaf = value;
    },
    get started() {
      return started;
    },
    get live() {
      return live.size;
    },
  };
}
