import { getJob as getJobIn, jobGuid } from '../domain/jobs/job-service.ts';
import { requestContext } from '../domain/request-context.ts';
import type { HandlerMap, OperationHandler, Scope } from '../http/operation.ts';
import { presentJob } from '../presenters/job.ts';

const getJob: OperationHandler<'getJob'> = async ({ path }, scope) => {
  const job = await getJobIn(requestContext(scope), path.guid);
  return { status: 200, body: presentJob(job, scope.runtime.config.externalUrl) };
};

export const jobHandlers = { getJob } satisfies Partial<HandlerMap>;

/** The answer to a DELETE whose work goes on: 202 with the job to poll in `Location`. */
export function deletionAccepted(scope: Scope, operation: string, resourceGuid: string): { status: 202; headers: { Location: string } } {
  return { status: 202, headers: { Location: `${scope.runtime.config.externalUrl}/v3/jobs/${jobGuid(operation, resourceGuid)}` } };
}
