import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout, timestamps in epoch milliseconds (pino's cheapest); one line per request plus whatever a component has to say. Lines are buffered
 * up to 4 KiB before a write (one syscall per line would cost a quarter of a small request's CPU); the
 * buffer is flushed on shutdown and on exit.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { service: 'cf-k8s-api' } }, destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 }));
}
