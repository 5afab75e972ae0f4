import { pino, type Logger } from 'pino';

export type { Logger };

/** A line waits in the buffer at most about this long. */
const flushIntervalMs = 1000;

/**
 * JSON logs on stdout, timestamps in epoch milliseconds (pino's cheapest); one line per request plus
 * whatever a component has to say. Lines are buffered up to 4 KiB before a write: one syscall per line
 * (a sync destination) would cost a quarter of a small request's CPU. So that a quiet server's lines do
 * not wait in memory for the next 4 KiB (and die with the process on a kill), whatever is buffered is
 * written within a second; the rest on shutdown and at exit (pino's exit hook).
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'cf-k8s-api' } };
  if (destination) return pino(options, destination);
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const unwritten = unwrittenBytes(stdout);
  // Unref'd: the timer never keeps the process alive. It writes only when something is buffered, so an
  // idle server makes no syscalls; a write still in flight is left alone and retried a second later.
  const timer = setInterval(() => {
    if (unwritten.count() > 0) stdout.flush();
  }, flushIntervalMs);
  timer.unref();
  stdout.once('close', () => clearInterval(timer));
  return pino({ ...options, hooks: { streamWrite: (line) => unwritten.added(line) } }, stdout);
}

/** Counts bytes handed to the stream against bytes it reports written (its public `write` event). */
function unwrittenBytes(stream: NodeJS.EventEmitter): { added: (line: string) => string; count: () => number } {
  let handed = 0;
  let written = 0;
  stream.on('write', (bytes: number) => (written += bytes));
  return {
    added: (line) => {
      handed += Buffer.byteLength(line);
      return line;
    },
    count: () => handed - written,
  };
}
