import type { components } from '../../generated/openapi-types.ts';
import type { Job } from '../domain/jobs/job-service.ts';

/** A job; a FAILED one carries its error (the cf CLI shows the first error's detail, and some commands crash without one). */
export function presentJob(job: Job, baseUrl: string): components['schemas']['Job'] {
  return {
    guid: job.guid,
    operation: job.operation,
    state: job.state,
    errors: job.failure === undefined ? [] : [{ code: 10008, title: 'CF-UnprocessableEntity', detail: job.failure }],
    warnings: [],
    links: { self: { href: `${baseUrl}/v3/jobs/${job.guid}` } },
  };
}
