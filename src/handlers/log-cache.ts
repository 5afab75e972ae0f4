import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { logCacheVersion } from '../presenters/root.ts';

/** Unlike Korifi's constant "0", `vm_uptime` reports the server's real uptime in seconds. */
const getLogCacheInfo: OperationHandler<'getLogCacheInfo'> = async (_request, { runtime }) => ({
  status: 200,
  body: { version: logCacheVersion, vm_uptime: String(Math.floor((Date.now() - runtime.startedAt.getTime()) / 1000)) },
});

export const logCacheHandlers = { getLogCacheInfo } satisfies Partial<HandlerMap>;
