import { expect } from 'chai';
import { eventually, uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from './backends.ts';
import type { CfClient } from './cf-client.ts';
import { cfError, expectCfError } from './cf-errors.ts';
import type { Job } from './resources.ts';

const jobNotFound = cfError.notFound('Job');
const unknownGuid = '00000000-0000-4000-8000-000000000000';
/** A finalizer no controller of ours knows, so the deletion waits for it. */
const foreignFinalizer = 'example.com/hold';

/** Adds or removes the foreign finalizer on a CFOrg, as the server, retrying when a reconciler wrote in between. */
async function setForeignFinalizer(cf: CfClient, orgGuid: string, present: boolean): Promise<void> {
  const session = cf.server.store.privileged();
  const ref = { kind: 'CFOrg' as const, namespace: cf.server.config.rootNamespace, name: orgGuid };
  await eventually(async () => {
    const org = await session.get(ref);
    const others = (org.metadata.finalizers ?? []).filter((finalizer) => finalizer !== foreignFinalizer);
    const finalizers = present ? [...others, foreignFinalizer] : others;
    await session.patch(
      ref,
      { metadata: { finalizers: finalizers.length > 0 ? finalizers : null } },
      {
        resourceVersion: org.metadata.resourceVersion ?? '',
      },
    );
  });
}

forEachBackend(
  'jobs',
  (cf) => {
    describe('GET /v3/jobs/{guid}', () => {
      it('answers 404 to a malformed job GUID', async () => {
        for (const guid of ['not-a-job', 'org.delete', `org.delete-${unknownGuid}`, `ORG.DELETE~${unknownGuid}`]) {
          expectCfError(await cf.get(`/v3/jobs/${guid}`), jobNotFound);
        }
      });

      it('answers 404 to an unknown operation', async () => {
        expectCfError(await cf.get(`/v3/jobs/app.frobnicate~${unknownGuid}`), jobNotFound);
        expectCfError(await cf.get(`/v3/jobs/org.create~${unknownGuid}`), jobNotFound);
      });

      it('answers 404 for a resource that is not being deleted', async () => {
        const org = await cf.createOrg();
        expectCfError(await cf.get(`/v3/jobs/org.delete~${org.guid}`), jobNotFound);
      });

      it('reports the deletion of a resource that is gone as COMPLETE', async () => {
        const response = await cf.get(`/v3/jobs/space.delete~${unknownGuid}`);
        expect(response.status, response.text).to.equal(200);
        expect(response.body).to.deep.equal({
          guid: `space.delete~${unknownGuid}`,
          operation: 'space.delete',
          state: 'COMPLETE',
          errors: [],
          warnings: [],
          links: { self: { href: cf.url(`/v3/jobs/space.delete~${unknownGuid}`) } },
        });
      });

      it('answers 401 without credentials', async () => {
        expectCfError(await cf.server.request(`/v3/jobs/org.delete~${unknownGuid}`), cfError.notAuthenticated());
      });

      it('reports a deletion that stalls past the timeout as FAILED with one error', async () => {
        const org = await cf.createOrg(uniqueName('stalled'));
        await setForeignFinalizer(cf, org.guid, true);
        try {
          const deleted = await cf.delete(`/v3/organizations/${org.guid}`);
          expect(deleted.status, deleted.text).to.equal(202);
          const location = deleted.headers.get('location') ?? '';
          const { job } = await cf.pollJob(location);
          expect(job).to.deep.equal({
            guid: `org.delete~${org.guid}`,
            operation: 'org.delete',
            state: 'FAILED',
            errors: [
              {
                code: 10008,
                title: 'CF-UnprocessableEntity',
                detail: `Organization deletion timed out, check the remaining "${org.guid}" resource`,
              },
            ],
            warnings: [],
            links: { self: { href: location } },
          });
        } finally {
          await setForeignFinalizer(cf, org.guid, false);
        }
        // Once the finalizer is gone the deletion finishes.
        await eventually(async () => {
          const response = await cf.get(`/v3/jobs/org.delete~${org.guid}`);
          expect((response.body as Job).state).to.equal('COMPLETE');
        }, 90_000);
      });
    });
  },
  { config: { deletionTimeoutSeconds: 1 } },
);
