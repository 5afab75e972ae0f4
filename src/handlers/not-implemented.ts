import { notImplemented } from '../errors/api-error.ts';
import type { HandlerMap, OperationId } from '../http/operation.ts';

/**
 * Handlers for operations the document declares but the server does not build yet: each answers
 * 501 CF-NotImplemented naming the operation. Listing them explicitly keeps the gap visible.
 */
export function notImplementedHandlers<K extends OperationId>(operationIds: readonly K[]): Pick<HandlerMap, K> {
  const entries = operationIds.map((operationId) => [operationId, async () => Promise.reject(notImplemented(operationId))]);
  return Object.fromEntries(entries) as Pick<HandlerMap, K>;
}
