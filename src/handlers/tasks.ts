import { requestContext } from '../domain/request-context.ts';
import {
  cancelTask as cancelTaskIn,
  createTask as createTaskIn,
  getTask as getTaskIn,
  listAppTasks as listAppTasksIn,
  listTasks as listTasksIn,
  updateTask as updateTaskIn,
  type Task,
} from '../domain/tasks/task-service.ts';
import { normalizedSequenceId } from '../domain/tasks/task-state.ts';
import type { HandlerMap, OperationHandler, Scope } from '../http/operation.ts';
import { presentTask } from '../presenters/task.ts';
import { labelSelectorOf, pageOf, present, timestampFields } from './list-pages.ts';

const taskSortFields = { ...timestampFields };

const taskPage = (scope: Scope, tasks: Task[], query: { order_by?: string; page?: number; per_page?: number }) => {
  const baseUrl = scope.runtime.config.externalUrl;
  return pageOf(scope, tasks, query, { sortFields: taskSortFields, present: (task) => presentTask(task, baseUrl) });
};

const listTasks: OperationHandler<'listTasks'> = async ({ query }, scope) => {
  const filters = {
    ...present({
      guids: query.guids,
      names: query.names,
      states: query.states,
      appGuids: query.app_guids,
      spaceGuids: query.space_guids,
      organizationGuids: query.organization_guids,
    }),
    ...labelSelectorOf(query),
  };
  return { status: 200, body: taskPage(scope, await listTasksIn(requestContext(scope), filters), query) };
};

/**
 * `sequence_ids` as the client wrote them: the validated query holds them as numbers, which lose the
 * last digits of Korifi's (beyond 2^53), so the filter compares the query's own text.
 */
function requestedSequenceIds(scope: Scope, parsed: readonly number[] | undefined): { sequenceIds?: string[] } {
  if (parsed === undefined) return {};
  const texts = scope.requestUrl.searchParams.getAll('sequence_ids').flatMap((value) => value.split(','));
  const exact = texts.map(normalizedSequenceId);
  if (exact.length !== parsed.length || exact.some((id) => id === undefined))
    return { sequenceIds: parsed.map((id) => BigInt(id).toString()) };
  return { sequenceIds: exact as string[] };
}

const listAppTasks: OperationHandler<'listAppTasks'> = async ({ path, query }, scope) => {
  const filters = {
    ...present({ names: query.names, states: query.states }),
    ...requestedSequenceIds(scope, query.sequence_ids),
    ...labelSelectorOf(query),
  };
  return { status: 200, body: taskPage(scope, await listAppTasksIn(requestContext(scope), path.guid, filters), query) };
};

const getTask: OperationHandler<'getTask'> = async ({ path }, scope) => {
  const task = await getTaskIn(requestContext(scope), path.guid);
  return { status: 200, body: presentTask(task, scope.runtime.config.externalUrl) };
};

const createTask: OperationHandler<'createTask'> = async ({ path, body }, scope) => {
  const task = await createTaskIn(requestContext(scope), path.guid, {
    command: body.command,
    name: body.name,
    memoryMB: body.memory_in_mb,
    diskMB: body.disk_in_mb,
    templateProcessGuid: body.template?.process.guid,
    metadata: body.metadata,
  });
  return { status: 201, body: presentTask(task, scope.runtime.config.externalUrl) };
};

const updateTask: OperationHandler<'updateTask'> = async ({ path, body }, scope) => {
  const task = await updateTaskIn(requestContext(scope), path.guid, { metadata: body.metadata });
  return { status: 200, body: presentTask(task, scope.runtime.config.externalUrl) };
};

const cancelTask: OperationHandler<'cancelTask'> = async ({ path }, scope) => {
  const task = await cancelTaskIn(requestContext(scope), path.guid);
  return { status: 202, body: presentTask(task, scope.runtime.config.externalUrl) };
};

const cancelTaskDeprecated: OperationHandler<'cancelTaskDeprecated'> = async ({ path }, scope) => {
  const task = await cancelTaskIn(requestContext(scope), path.guid);
  return { status: 202, body: presentTask(task, scope.runtime.config.externalUrl) };
};

export const taskHandlers = {
  listTasks,
  getTask,
  updateTask,
  cancelTask,
  cancelTaskDeprecated,
  listAppTasks,
  createTask,
} satisfies Partial<HandlerMap>;
