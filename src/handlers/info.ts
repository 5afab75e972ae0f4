import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentInfo } from '../presenters/info.ts';

const getInfo: OperationHandler<'getInfo'> = async (_request, { runtime }) => ({
  status: 200,
  body: presentInfo(runtime.config),
});

export const infoHandlers = { getInfo } satisfies Partial<HandlerMap>;
