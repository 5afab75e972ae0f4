import { requestContext } from '../domain/request-context.ts';
import { getUser as getUserIn, listUsers as listUsersIn, type CfUser } from '../domain/users/user-service.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { matchesLabelSelector } from '../labels/selector.ts';
import { presentUser } from '../presenters/roles-and-users.ts';
import type { SortFields } from '../lists/ordering.ts';
import { labelSelectorOf, pageOf, present } from './list-pages.ts';

/** The users list has no `order_by`: users come sorted by name. */
const noSortFields: SortFields<CfUser> = {};

const listUsers: OperationHandler<'listUsers'> = async ({ query }, scope) => {
  const filters = present({
    guids: query.guids,
    usernames: query.usernames,
    partialUsernames: query.partial_usernames,
    origins: query.origins,
  });
  const { labelSelector } = labelSelectorOf(query);
  // Users carry no labels, so only a selector that an empty label set satisfies lets them through.
  const users = (await listUsersIn(requestContext(scope), filters)).filter(() => !labelSelector || matchesLabelSelector(labelSelector, {}));
  const baseUrl = scope.runtime.config.externalUrl;
  return {
    status: 200,
    body: pageOf(scope, users, query, { sortFields: noSortFields, present: (user) => presentUser(user, baseUrl) }),
  };
};

const getUser: OperationHandler<'getUser'> = async ({ path }, scope) => {
  const user = await getUserIn(requestContext(scope), path.guid);
  return { status: 200, body: presentUser(user, scope.runtime.config.externalUrl) };
};

export const userHandlers = { listUsers, getUser } satisfies Partial<HandlerMap>;
