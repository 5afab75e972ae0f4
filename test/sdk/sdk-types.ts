// Type tests of the SDK, checked by `npm run typecheck` (never run): each `@ts-expect-error` line must
// fail to compile, and the typed results must be what the document declares. sdk-package.test.ts checks
// the same against the packed tarball's declarations, line by line.
import { createCfClient, type CfJob, type ListResource } from '../../sdk/src/index.ts';
import type { components } from '../../generated/openapi-types.ts';

const cf = createCfClient({ baseUrl: 'http://127.0.0.1:1', auth: { token: 't' } });

export async function typedCalls(): Promise<unknown[]> {
  const { data: org } = await cf.POST('/v3/organizations', { body: { name: 'o' } });
  const orgName: string = org.name;
  const deleted = await cf.DELETE('/v3/apps/{guid}', { params: { path: { guid: 'g' } } });
  const nothing: undefined = deleted.data;
  const job: CfJob = await cf.waitForJob(deleted);
  const app: components['schemas']['App'] | undefined = (await cf.GET('/v3/apps')).data.resources[0];
  const each: ListResource<'/v3/spaces'> = { ...(await cf.GET('/v3/spaces')).data.resources[0]! };
  for await (const page of cf.pages('/v3/apps', { params: { query: { names: ['a'], per_page: 2 } } })) {
    const state: 'STARTED' | 'STOPPED' | undefined = page.resources[0]?.state;
    void state;
  }
  // @ts-expect-error a body of the wrong type
  await cf.POST('/v3/organizations', { body: { name: 1 } });
  // @ts-expect-error a required body left out
  await cf.POST('/v3/organizations');
  // @ts-expect-error a query key the operation does not declare
  await cf.GET('/v3/apps', { params: { query: { nope: 1 } } });
  // @ts-expect-error pages() takes list operations only
  void cf.pages('/v3/apps/{guid}', { params: { path: { guid: 'x' } } });
  // @ts-expect-error a path the document does not have
  await cf.GET('/v3/nothing-here');
  return [orgName, nothing, job, app, each];
}
