import net from 'node:net';
import type { CallOptions, StoreSession } from '../../src/store/port.ts';

/**
 * A session the test can make stop answering, and what it saw of the elector using it: when the
 * last write that was answered was sent (nobody can see that write, so nobody can count the lease
 * from, earlier), and whether a call that got no answer was given up.
 */
export type HangableSession = {
  session: StoreSession;
  /** From now on lease writes (or all calls) get no answer. */
  hang(): void;
  lastAnsweredWriteSentAtMs(): number;
  gaveUpAHungCall(): boolean;
  close(): Promise<void>;
};

type Writes = Pick<StoreSession, 'create' | 'update'>;

/** The session with some methods replaced; everything else goes to the session itself. */
function overriding(inner: StoreSession, overrides: Partial<StoreSession>): StoreSession {
  return new Proxy(inner, {
    get(target, property) {
      if (property in overrides) return overrides[property as keyof StoreSession];
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Writes that note when the last one that got an answer was sent. */
function recordingWrites(inner: StoreSession, send: Writes) {
  let lastAnsweredSentAtMs = 0;
  const track = <T>(sentAtMs: number, answer: Promise<T>) =>
    answer.then((value) => {
      lastAnsweredSentAtMs = Math.max(lastAnsweredSentAtMs, sentAtMs);
      return value;
    });
  const writes: Writes = {
    create: (object, options) => track(Date.now(), send.create(object, options)),
    update: (object, options) => track(Date.now(), send.update(object, options)),
  };
  return { session: overriding(inner, writes), lastAnsweredSentAtMs: () => lastAnsweredSentAtMs };
}

/**
 * Once hung, every update gets no answer, whatever its signal says (as a stuck connection would
 * not): only the caller's own deadline can end the wait. Gave up = the update's signal was aborted.
 */
export function withHangingUpdates(inner: StoreSession): HangableSession {
  let hanging = false;
  const hungSignals: (AbortSignal | undefined)[] = [];
  const recorded = recordingWrites(inner, {
    create: (object, options) => inner.create(object, options),
    update: (object, options?: CallOptions) => {
      if (!hanging) return inner.update(object, options);
      hungSignals.push(options?.signal);
      return new Promise(() => undefined);
    },
  });
  return {
    session: recorded.session,
    hang: () => (hanging = true),
    lastAnsweredWriteSentAtMs: recorded.lastAnsweredSentAtMs,
    gaveUpAHungCall: () => hungSignals.some((signal) => signal?.aborted === true),
    close: async () => undefined,
  };
}

/**
 * A TCP proxy to an apiserver that can freeze: from then on nothing passes either way, so calls in
 * flight and new ones hang as over a dead network. Counts the connections the client closed while
 * frozen (a client that gave up a hung call closes its connection).
 */
export async function freezableProxy(
  target: URL,
): Promise<{ url: string; freeze(): void; closedWhileFrozen(): number; close(): Promise<void> }> {
  let frozen = false;
  let closedWhileFrozen = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => frozen || upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => frozen || client.write(chunk));
    client.on('close', () => {
      if (frozen) closedWhileFrozen++;
      upstream.destroy();
    });
    upstream.on('close', () => frozen || client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `${target.protocol}//127.0.0.1:${port}`,
    freeze: () => (frozen = true),
    closedWhileFrozen: () => closedWhileFrozen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A hangable session over a proxy-backed session (the proxy does the hanging). */
export function behindFreezableProxy(
  session: StoreSession,
  proxy: Awaited<ReturnType<typeof freezableProxy>>,
  closeStore: () => Promise<void>,
): HangableSession {
  const recorded = recordingWrites(session, {
    create: (object, options) => session.create(object, options),
    update: (object, options) => session.update(object, options),
  });
  return {
    session: recorded.session,
    hang: () => proxy.freeze(),
    lastAnsweredWriteSentAtMs: recorded.lastAnsweredSentAtMs,
    gaveUpAHungCall: () => proxy.closedWhileFrozen() > 0,
    close: async () => {
      await closeStore();
      await proxy.close();
    },
  };
}
