import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; one line per request plus whatever a component has to say. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { service: 'cf-k8s-api' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
