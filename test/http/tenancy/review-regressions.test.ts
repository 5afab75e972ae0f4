import { expect } from 'chai';
import { requestContext } from '../../../src/domain/request-context.ts';
import { updateOrg } from '../../../src/domain/tenancy/org-service.ts';
import type { Scope } from '../../../src/http/operation.ts';
import { StoreError } from '../../../src/store/errors.ts';
import type { Store } from '../../../src/store/port.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from './backends.ts';
import { roleRequest } from './cf-client.ts';
import { cfError, expectCfError } from './cf-errors.ts';
import type { ListOf, Space } from './resources.ts';

/** A store whose sessions as a user fail every patch with a Conflict, as a write that keeps losing races would. */
function losingEveryPatch(store: Store): Store {
  // The domain code under test uses only these two; both call the real store so its private state is there.
  return {
    ...store,
    privileged: () => store.privileged(),
    as: (user) =>
      new Proxy(store.as(user), {
        get: (session, property) => {
          if (property === 'patch') return () => Promise.reject(new StoreError('Conflict', 'the object has been modified'));
          const value: unknown = Reflect.get(session, property);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(session) : value;
        },
      }),
  };
}

/** Cases a review of the tenancy endpoints found wrong, kept so they stay fixed. */
forEachBackend('tenancy review regressions', (cf) => {
  it('keeps an org its name when a rename that only changes the letter case fails', async () => {
    const org = await cf.createOrg();
    const admin = cf.server.admin;
    const scope = {
      auth: {
        identity: { name: admin.name, kind: 'User' as const, groups: [] },
        credentials: { scheme: 'clientCert' as const, certificatePem: admin.certificatePem, privateKeyPem: admin.privateKeyPem },
      },
      runtime: { config: cf.server.config, store: losingEveryPatch(cf.server.store) },
      warn: () => undefined,
    } as unknown as Scope;
    const failed = await updateOrg(requestContext(scope), org.guid, { name: org.name.toUpperCase() }).catch((error: unknown) => error);
    // The rename got as far as the write and lost there (not refused earlier for another reason).
    expect(failed).to.be.instanceOf(StoreError).and.to.have.property('reason', 'Conflict');
    expectCfError(
      await cf.post('/v3/organizations', { name: org.name }),
      cfError.unprocessable(`Organization '${org.name}' already exists.`),
    );
  });

  it('answers the job of a deleted propagating role at once, although its copies still carry its GUID', async () => {
    const org = await cf.createOrg();
    await cf.createSpace(org.guid);
    const role = await cf.grant(uniqueName('manager'), 'organization_manager', { organization: org.guid });
    const { job, states } = await cf.deleteAndWait(`/v3/roles/${role.guid}`, 'role.delete', role.guid);
    expect(job.state).to.equal('COMPLETE');
    expect(states.every((state) => state === 'PROCESSING' || state === 'COMPLETE')).to.equal(true);
  });

  it('does not list a space to a user whose role in its org was taken away', async () => {
    const org = await cf.createOrg();
    const space = await cf.createSpace(org.guid);
    const user = await cf.newUser('auditor');
    const orgRole = await cf.grant(user.name, 'organization_user', { organization: org.guid });
    await cf.grant(user.name, 'space_auditor', { space: space.guid });
    const before = (await cf.get('/v3/spaces', user.headers)).body as ListOf<Space>;
    expect(before.resources.map((listed) => listed.guid)).to.deep.equal([space.guid]);
    await cf.deleteAndWait(`/v3/roles/${orgRole.guid}`, 'role.delete', orgRole.guid);
    const after = (await cf.get('/v3/spaces', user.headers)).body as ListOf<Space>;
    expect(after.resources).to.deep.equal([]);
    expectCfError(await cf.get(`/v3/spaces/${space.guid}`, user.headers), cfError.notFound('Space'));
  });

  it('refuses a role grant by someone who may not grant before saying whether the user has an org role', async () => {
    const org = await cf.createOrg();
    const space = await cf.createSpace(org.guid);
    const auditor = await cf.newUser('auditor');
    await cf.grant(auditor.name, 'organization_user', { organization: org.guid });
    await cf.grant(auditor.name, 'space_auditor', { space: space.guid });
    const holder = uniqueName('holder');
    await cf.grant(holder, 'organization_user', { organization: org.guid });
    for (const probed of [holder, uniqueName('nobody')]) {
      const response = await cf.post(
        '/v3/roles',
        roleRequest('space_developer', { username: probed }, { space: space.guid }),
        auditor.headers,
      );
      expectCfError(response, cfError.notAuthorized());
    }
  });

  it('says what is invalid about a name without the backend’s kind and object name', async () => {
    const response = await cf.post('/v3/organizations', { name: 'tab\there' });
    expect(response.status, response.text).to.equal(422);
    const detail = (response.body as { errors: { detail: string }[] }).errors[0]?.detail ?? '';
    expect(detail).to.match(/^Organization is invalid: spec\.displayName/);
    expect(detail).not.to.contain('korifi.cloudfoundry.org');
  });

  it('refuses a space in an org that is being deleted with 422, not 403', async () => {
    const org = await cf.createOrg();
    const hold = 'example.com/hold';
    const ref = { kind: 'CFOrg' as const, namespace: cf.server.config.rootNamespace, name: org.guid };
    const session = cf.server.store.privileged();
    const held = await session.get(ref);
    await session.patch(ref, { metadata: { finalizers: [...(held.metadata.finalizers ?? []), hold] } });
    expect((await cf.delete(`/v3/organizations/${org.guid}`)).status).to.equal(202);
    const response = await cf.post('/v3/spaces', {
      name: uniqueName('late'),
      relationships: { organization: { data: { guid: org.guid } } },
    });
    expectCfError(response, cfError.unprocessable('Invalid organization. Ensure the organization exists and you have access to it.'));
    const current = await session.get(ref);
    await session.patch(ref, { metadata: { finalizers: (current.metadata.finalizers ?? []).filter((name) => name !== hold) } });
  });

  it('leaves the name that lost a race of two renames free', async () => {
    const org = await cf.createOrg();
    const names = [uniqueName('first'), uniqueName('second')];
    const renames = await Promise.all(names.map((name) => cf.patch(`/v3/organizations/${org.guid}`, { name })));
    expect(renames.map((response) => response.status)).to.deep.equal([200, 200]);
    const final = ((await cf.get(`/v3/organizations/${org.guid}`)).body as { name: string }).name;
    expect(names).to.include(final);
    const other = await cf.createOrg(names.find((name) => name !== final));
    expect(other.guid).not.to.equal(org.guid);
  });
});
