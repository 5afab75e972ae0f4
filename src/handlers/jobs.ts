import { getJob as getJobIn } from '../domain/jobs/job-service.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';
import { presentJob } from '../presenters/job.ts';

const getJob: OperationHandler<'getJob'> = async ({ path }, scope) => {
  const job = await getJobIn(requestContext(scope), path.guid);
  return { status: 200, body: presentJob(job, scope.runtime.config.externalUrl) };
};

export const jobHandlers = { getJob } satisfies Partial<HandlerMap>;
