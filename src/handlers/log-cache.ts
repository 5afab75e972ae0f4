import { readAppEnvelopes } from '../domain/logs/log-reads.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentEnvelopeBatch } from '../presenters/log-envelope.ts';
import { logCacheVersion } from '../presenters/root.ts';

/** Unlike Korifi's constant "0", `vm_uptime` reports the server's real uptime in seconds. */
const getLogCacheInfo: OperationHandler<'getLogCacheInfo'> = async (_request, { runtime }) => ({
  status: 200,
  body: { version: logCacheVersion, vm_uptime: String(Math.floor((Date.now() - runtime.startedAt.getTime()) / 1000)) },
});

/** log-cache's read of one app's envelopes (the cf CLI's `cf logs`), from the backend's log source. */
const readLogCacheEnvelopes: OperationHandler<'readLogCacheEnvelopes'> = async ({ path, query }, scope) => {
  const envelopes = await readAppEnvelopes(requestContext(scope), scope.runtime.logSource, path.source_id, query);
  return { status: 200, body: presentEnvelopeBatch(envelopes) };
};

export const logCacheHandlers = { getLogCacheInfo, readLogCacheEnvelopes } satisfies Partial<HandlerMap>;
