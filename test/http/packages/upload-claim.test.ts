import { expect } from 'chai';
import { isAwaitingUpload } from '../../../src/domain/packages/package-service.ts';
import { ClaimLost, isUploading, UploadClaim, uploadClaimAnnotation } from '../../../src/domain/packages/upload-claim.ts';
import type { StoredObject } from '../../../src/store/objects.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import { createApp, createPackage } from './package-fixtures.ts';

type Package = StoredObject<'CFPackage'>;

const ref = (cfPackage: Package) => ({
  kind: 'CFPackage' as const,
  namespace: cfPackage.metadata.namespace ?? '',
  name: cfPackage.metadata.name,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The claim an upload holds on its package, over the real store of each backend, with short timings. */
forEachBackend('package upload claims', (cf) => {
  let read: () => Promise<Package>;
  before(async () => {
    const org = await cf.createOrg();
    const space = await cf.createSpace(org.guid);
    const app = await createApp(cf, space.guid);
    const created = await createPackage(cf, app.guid);
    const ref = { kind: 'CFPackage' as const, namespace: space.guid, name: created.guid };
    read = () => cf.server.store.privileged().get(ref);
  });
  const timing = { lifetimeMs: 1_500, renewEveryMs: 300 };

  it('is renewed while the upload runs, so it outlives its lifetime; released, it frees the package', async () => {
    const session = cf.server.store.privileged();
    const claim = await UploadClaim.take({ caller: session, server: session }, await read(), isAwaitingUpload, timing);
    expect(claim).to.not.equal(undefined);
    expect(await UploadClaim.take({ caller: session, server: session }, await read(), isAwaitingUpload, timing)).to.equal(undefined);
    await sleep(timing.lifetimeMs * 2);
    expect(isUploading(await read())).to.equal(true);
    expect(await UploadClaim.take({ caller: session, server: session }, await read(), isAwaitingUpload, timing)).to.equal(undefined);
    await claim!.release();
    const released = await read();
    expect(released.metadata.annotations ?? {}).to.not.have.property(uploadClaimAnnotation);
    const next = await UploadClaim.take({ caller: session, server: session }, released, isAwaitingUpload, timing);
    expect(next).to.not.equal(undefined);
    await next!.release();
  });

  it('finishes only while it still holds the package: another claim that took over makes it ClaimLost', async () => {
    const session = cf.server.store.privileged();
    const claim = await UploadClaim.take({ caller: session, server: session }, await read(), isAwaitingUpload, timing);
    const current = await read();
    // Someone else's claim replaces it (as after an expiry).
    await session.patch(ref(current), { metadata: { annotations: { [uploadClaimAnnotation]: `other ${Date.now() + 60_000}` } } });
    // The final write is conditional on the version the claim last wrote, as the upload's is.
    const outcome = await claim!
      .finish((latest) =>
        session.patch(
          ref(latest),
          { metadata: { labels: { written: 'yes' } } },
          { resourceVersion: latest.metadata.resourceVersion ?? '' },
        ),
      )
      .then(
        (value) => value,
        (error: unknown) => error,
      );
    expect(outcome).to.be.instanceOf(ClaimLost);
    // Releasing a lost claim leaves the other one alone.
    await claim!.release();
    const after = await read();
    expect(after.metadata.annotations?.[uploadClaimAnnotation]).to.match(/^other /);
    expect(after.metadata.labels ?? {}).to.not.have.property('written');
  });
});
