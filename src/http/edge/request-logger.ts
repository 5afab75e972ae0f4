import type { Logger } from '../../logger.ts';

/** What a request carries through the edge: its correlation id and, once made, its own logger. */
export type RequestLogState = { correlationId: string; baseLogger: Logger; log?: Logger };

/** The request's logger, carrying its correlation id; made on first use, as most requests never log. */
export function requestLogger(state: RequestLogState): Logger {
  state.log ??= state.baseLogger.child({ correlationId: state.correlationId });
  return state.log;
}
