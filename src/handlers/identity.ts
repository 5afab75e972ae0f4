import { unknownError } from '../errors/api-error.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';

const getWhoAmI: OperationHandler<'getWhoAmI'> = async (_request, { auth }) => {
  if (!auth) throw unknownError(new Error('getWhoAmI ran without authentication'));
  return { status: 200, body: { name: auth.identity.name, kind: auth.identity.kind } };
};

export const identityHandlers = { getWhoAmI } satisfies Partial<HandlerMap>;
