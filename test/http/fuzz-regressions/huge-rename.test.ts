import { expect } from 'chai';
import { uniqueName } from '../../store/fixture.ts';
import { createApp } from '../lifecycle-fixtures.ts';
import { forEachBackend } from '../tenancy/backends.ts';

/**
 * Found by the fuzzer (`npm run fuzz`, seed 42): a rename to a name too long for its name claim (a claim
 * keeps the name in an annotation, at most 256 KiB) was a 500, since the rename claimed the new name
 * without turning the store's refusal into a CF error as a create does. Now it is a 422 and nothing
 * changes.
 */
forEachBackend('fuzz regression: renaming to a name too long to claim', (cf) => {
  const hugeName = 'x'.repeat(300_000);

  const expectRefusedRename = async (path: string, name: string) => {
    const response = await cf.patch(path, { name: hugeName });
    expect(response.status, response.text.slice(0, 300)).to.equal(422);
    expect(response.body).to.have.nested.property('errors[0].title', 'CF-UnprocessableEntity');
    const after = await cf.get(path);
    expect(after.status).to.equal(200);
    expect((after.body as { name: string }).name).to.equal(name);
  };

  it('an app: 422, the name unchanged', async () => {
    const org = await cf.createOrg();
    const space = await cf.createSpace(org.guid);
    const app = await createApp(cf, space.guid);
    await expectRefusedRename(`/v3/apps/${app.guid}`, app.name);
  });

  it('an organization and a space: 422, their names unchanged', async () => {
    const org = await cf.createOrg();
    const space = await cf.createSpace(org.guid);
    await expectRefusedRename(`/v3/organizations/${org.guid}`, org.name);
    await expectRefusedRename(`/v3/spaces/${space.guid}`, space.name);
  });

  it('a user-provided service instance: 422, the name unchanged', async () => {
    const org = await cf.createOrg();
    const space = await cf.createSpace(org.guid);
    const name = uniqueName('si');
    const created = await cf.post('/v3/service_instances', {
      type: 'user-provided',
      name,
      relationships: { space: { data: { guid: space.guid } } },
    });
    expect(created.status, created.text).to.equal(201);
    await expectRefusedRename(`/v3/service_instances/${(created.body as { guid: string }).guid}`, name);
  });
});
