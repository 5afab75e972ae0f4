import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentRoot, presentV3Root } from '../presenters/root.ts';

const getRoot: OperationHandler<'getRoot'> = async (_request, { runtime }) => ({
  status: 200,
  body: presentRoot(runtime.config.externalUrl),
});

const getV3Root: OperationHandler<'getV3Root'> = async (_request, { runtime }) => ({
  status: 200,
  body: presentV3Root(runtime.config.externalUrl),
});

export const rootHandlers = { getRoot, getV3Root } satisfies Partial<HandlerMap>;
