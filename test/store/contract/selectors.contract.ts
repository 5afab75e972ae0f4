import { expect } from 'chai';
import { parseLabelSelector } from '../../../src/labels/selector.ts';
import { createNamespace, runLabel, type StoreFixture } from '../fixture.ts';
import { newApp, runId } from './objects.ts';

export function selectorsContract(fixture: () => StoreFixture): void {
  describe('lists and label selectors', () => {
    let first: string;
    let second: string;
    const names: Record<string, string> = {};

    before(async () => {
      first = await createNamespace(fixture());
      second = await createNamespace(fixture());
      const session = fixture().store.privileged();
      const objects = [
        { key: 'red', namespace: first, labels: { color: 'red', size: 'small' } },
        { key: 'blue', namespace: first, labels: { color: 'blue', size: 'large' } },
        { key: 'plain', namespace: first, labels: {} },
        { key: 'green', namespace: second, labels: { color: 'green', size: 'small' } },
      ];
      for (const { key, namespace, labels } of objects) {
        const created = await session.create(newApp(namespace, labels));
        names[key] = created.metadata.name;
      }
    });

    const listNames = async (selector: string, namespace?: string): Promise<string[]> => {
      const list = await fixture()
        .store.privileged()
        .list('CFApp', {
          labelSelector: parseLabelSelector(`${runLabel}=${runId},${selector}`.replace(/,$/, '')),
          ...(namespace === undefined ? {} : { namespace }),
        });
      const keyOf = Object.fromEntries(Object.entries(names).map(([key, name]) => [name, key]));
      return list.items.map((item) => keyOf[item.metadata.name] ?? item.metadata.name).sort();
    };

    it('lists one namespace or all of them', async () => {
      expect(await listNames('', first)).to.deep.equal(['blue', 'plain', 'red']);
      expect(await listNames('', second)).to.deep.equal(['green']);
      expect(await listNames('')).to.include.members(['blue', 'green', 'plain', 'red']);
    });

    it('selects with every operator', async () => {
      expect(await listNames('color=red')).to.deep.equal(['red']);
      expect(await listNames('color==red')).to.deep.equal(['red']);
      expect(await listNames('color!=red', first)).to.deep.equal(['blue', 'plain']);
      expect(await listNames('color in (red,green)')).to.deep.equal(['green', 'red']);
      expect(await listNames('color notin (red,green)', first)).to.deep.equal(['blue', 'plain']);
      expect(await listNames('color', first)).to.deep.equal(['blue', 'red']);
      expect(await listNames('!color', first)).to.deep.equal(['plain']);
      expect(await listNames('size=small,color!=green')).to.deep.equal(['red']);
    });

    it('matches nothing for an empty set of values', async () => {
      const list = await fixture()
        .store.privileged()
        .list('CFApp', { namespace: first, labelSelector: [{ key: 'color', operator: 'in', values: [] }] });
      expect(list.items).to.deep.equal([]);
      expect(list.resourceVersion).to.match(/^\d+$/);
    });

    it('finds one object by name across namespaces', async () => {
      const list = await fixture().store.privileged().list('CFApp', { name: names['green']! });
      expect(list.items.map((item) => [item.metadata.namespace, item.metadata.name])).to.deep.equal([[second, names['green']]]);
      expect(list.items[0]?.kind).to.equal('CFApp');
      expect(list.items[0]?.apiVersion).to.equal('korifi.cloudfoundry.org/v1alpha1');
    });
  });
}
