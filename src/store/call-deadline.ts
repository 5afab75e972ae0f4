import { StoreError } from './errors.ts';
import type { CallOptions } from './port.ts';

/** How a call ends when the caller's signal (its deadline) aborted it. */
export function deadlinePassed(cause?: unknown): StoreError {
  return new StoreError('Timeout', "the store did not answer before the caller's deadline", { cause });
}

/** For a call that cannot be stopped once begun (one synchronous transaction): refuse to begin it late. */
export function refuseIfAborted(options: CallOptions | undefined): void {
  if (options?.signal?.aborted) throw deadlinePassed(options.signal.reason);
}
