import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { withKorifiLabels } from '../../../src/store/korifi-labels/labelled-store.ts';
import type { StoreUser } from '../../../src/store/port.ts';
import { createNamespace, eventually, grantInNamespace, uniqueName, type StoreFixture } from '../fixture.ts';
import { expectStoreError } from './expect-store-error.ts';

const sha224 = (text: string) => createHash('sha224').update(text).digest('hex');
const k = (name: string) => `korifi.cloudfoundry.org/${name}`;
const condition = { type: 'Ready', status: 'True' as const, reason: 'Ready', message: '', lastTransitionTime: '2026-11-27T10:00:00Z' };

export function korifiLabelsContract(fixture: () => StoreFixture): void {
  describe("Korifi's webhook labels, set by our own code", () => {
    let namespace: string;
    let times: Date[];
    const clock = () => times.shift() ?? new Date('2026-11-27T12:00:00Z');
    const session = () => withKorifiLabels(fixture().store, clock).privileged();

    before(async () => (namespace = await createNamespace(fixture())));
    beforeEach(() => (times = [new Date('2026-11-27T10:11:12Z'), new Date('2026-11-27T11:22:33Z')]));

    it('labels a new object with its guid, creation time and index labels', async () => {
      const name = uniqueName('org');
      const org = await session().create({
        kind: 'CFOrg',
        metadata: { name, namespace, labels: { mine: 'kept' } },
        spec: { displayName: 'My Org' },
      });
      expect(org.metadata.labels).to.deep.equal({
        mine: 'kept',
        [k('guid')]: name,
        [k('created_at')]: '2026-11-27T10-11-12',
        [k('org-name')]: sha224('My Org'),
      });
    });

    it('keeps index labels true to spec changes made by patch or update, and stamps updated_at', async () => {
      const name = uniqueName('org');
      await session().create({ kind: 'CFOrg', metadata: { name, namespace }, spec: { displayName: 'Before' } });
      const patched = await session().patch({ kind: 'CFOrg', namespace, name }, { spec: { displayName: 'After' } });
      expect(patched.metadata.labels).to.include({ [k('org-name')]: sha224('After'), [k('updated_at')]: '2026-11-27T11-22-33' });
      const updated = await session().update({ ...patched, spec: { displayName: 'Again' } });
      expect(updated.metadata.labels?.[k('org-name')]).to.equal(sha224('Again'));
      const selected = await fixture()
        .store.privileged()
        .list('CFOrg', { namespace, labelSelector: [{ key: k('org-name'), operator: 'equals', value: sha224('Again') }] });
      expect(selected.items.map((item) => item.metadata.name)).to.deep.equal([name]);
    });

    it('derives labels from status after a status write', async () => {
      const name = uniqueName('org');
      await session().create({ kind: 'CFOrg', metadata: { name, namespace }, spec: { displayName: 'Ready Org' } });
      const ready = await session().patchStatus({ kind: 'CFOrg', namespace, name }, { guid: name, conditions: [condition] });
      expect(ready.metadata.labels?.[k('ready')]).to.equal('True');
      expect(ready.status?.guid).to.equal(name);
    });

    it('does not write at all when a patch changes nothing', async () => {
      const name = uniqueName('org');
      const created = await session().create({ kind: 'CFOrg', metadata: { name, namespace }, spec: { displayName: 'Same' } });
      const same = await session().patch({ kind: 'CFOrg', namespace, name }, { spec: { displayName: 'Same' } });
      expect(same.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
    });

    it('refuses a patch that changes nothing to a user who may read but not patch, and allows it to one who may', async () => {
      const name = uniqueName('org');
      await session().create({ kind: 'CFOrg', metadata: { name, namespace }, spec: { displayName: 'Same' } });
      const reader = await fixture().newUser();
      const writer = await fixture().newUser();
      const rule = (verbs: string[]) => [{ apiGroups: ['korifi.cloudfoundry.org'], resources: ['cforgs'], verbs }];
      await grantInNamespace(fixture(), reader, namespace, rule(['get', 'list']));
      await grantInNamespace(fixture(), writer, namespace, rule(['get', 'list', 'patch']));
      const as = (user: StoreUser) => withKorifiLabels(fixture().store, clock).as(user);
      const same = { spec: { displayName: 'Same' } };
      await eventually(() => expectStoreError(as(reader).patch({ kind: 'CFOrg', namespace, name }, same), 'Forbidden'));
      await eventually(async () =>
        expect((await as(writer).patch({ kind: 'CFOrg', namespace, name }, same)).spec.displayName).to.equal('Same'),
      );
    });

    it('removes index labels whose source is gone', async () => {
      const name = uniqueName('route');
      const ref = { kind: 'CFRoute' as const, namespace, name };
      await session().create({
        kind: 'CFRoute',
        metadata: { name, namespace },
        spec: { host: 'foo', path: '/p', protocol: 'http', domainRef: { name: 'd' } },
      });
      const hostless = await session().patch(ref, { spec: { host: '' } });
      expect(hostless.metadata.labels).not.to.have.property(k('route-host'));
      expect((await session().patchStatus(ref, { conditions: [condition] })).metadata.labels).not.to.have.property(k('ready'));
      const org = uniqueName('org');
      const orgRef = { kind: 'CFOrg' as const, namespace, name: org };
      await session().create({ kind: 'CFOrg', metadata: { name: org, namespace }, spec: { displayName: 'O' } });
      expect((await session().patchStatus(orgRef, { guid: org, conditions: [condition] })).metadata.labels?.[k('ready')]).to.equal('True');
      expect((await session().patchStatus(orgRef, { conditions: null })).metadata.labels).not.to.have.property(k('ready'));
    });

    it('lets a patch remove every label of the caller’s, keeping the derived ones', async () => {
      const name = uniqueName('org');
      await session().create({
        kind: 'CFOrg',
        metadata: { name, namespace, labels: { mine: 'x', yours: 'y' } },
        spec: { displayName: 'L' },
      });
      const cleared = await session().patch({ kind: 'CFOrg', namespace, name }, { metadata: { labels: null } });
      expect(Object.keys(cleared.metadata.labels ?? {}).sort()).to.deep.equal([k('created_at'), k('guid'), k('org-name'), k('updated_at')]);
    });

    it('refuses a patch with a stale precondition even when it would change nothing', async () => {
      const name = uniqueName('org');
      const created = await session().create({ kind: 'CFOrg', metadata: { name, namespace }, spec: { displayName: 'P' } });
      await session().patch({ kind: 'CFOrg', namespace, name }, { spec: { displayName: 'Q' } });
      const ref = { kind: 'CFOrg' as const, namespace, name };
      await expectStoreError(
        session().patch(ref, { spec: { displayName: 'Q' } }, { resourceVersion: created.metadata.resourceVersion! }),
        'Conflict',
      );
    });

    it('leaves core kinds alone', async () => {
      const secret = await session().create({
        kind: 'Secret',
        metadata: { name: uniqueName('secret'), namespace },
        stringData: { a: 'b' },
      });
      expect(secret.metadata.labels ?? {}).to.deep.equal({});
    });
  });
}
