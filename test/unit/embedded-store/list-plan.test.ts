import { expect } from 'chai';
import { DatabaseSync } from 'node:sqlite';
import { matchesLabelSelector, type LabelSelector, type Requirement } from '../../../src/labels/selector.ts';
import { planList, type ListFilter } from '../../../src/store/embedded/list-plan.ts';
import { applySchema } from '../../../src/store/embedded/schema.ts';
import { app, namespace, testStore, type TestStore } from './store-fixtures.ts';

describe('embedded store: list plans', () => {
  describe('query plans', () => {
    const db = new DatabaseSync(':memory:');
    applySchema(db);
    const plan = (filter: ListFilter) => {
      const query = planList('CFApp', filter);
      const rows = db.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as { detail: string }[];
      return rows.map((row) => row.detail).join('\n');
    };

    it('reads one object by its key', () => {
      expect(plan({ namespace: 'ns', name: 'a' })).to.match(
        /SEARCH o USING (COVERING )?INDEX objects_by_key \(kind=\? AND namespace=\? AND name=\?\)/,
      );
    });

    it('finds a name across namespaces by the name index', () => {
      expect(plan({ name: 'a' })).to.match(/SEARCH o USING (COVERING )?INDEX objects_by_name \(kind=\? AND name=\?\)/);
    });

    it('lists a namespace or a kind in key order without sorting', () => {
      expect(plan({ namespace: 'ns' })).to.match(/SEARCH o USING (COVERING )?INDEX objects_by_key \(kind=\? AND namespace=\?\)/);
      expect(plan({})).to.match(/SEARCH o USING (COVERING )?INDEX objects_by_key \(kind=\?\)/);
      expect(plan({})).not.to.contain('TEMP B-TREE');
    });

    it('drives a selector from the labels index, equality first, then the smallest set', () => {
      const selector: LabelSelector = [
        { key: 'space', operator: 'in', values: ['a', 'b', 'c'] },
        { key: 'guid', operator: 'in', values: ['x', 'y'] },
        { key: 'gone', operator: 'notExists' },
      ];
      const query = planList('CFApp', { labelSelector: selector });
      expect(query.params.slice(0, 3)).to.deep.equal(['CFApp', 'guid', '["x","y"]']);
      expect(plan({ labelSelector: selector })).to.match(
        /SEARCH l USING COVERING INDEX labels_by_value \(kind=\? AND key=\? AND value=\?\)/,
      );
      const withEquality = planList('CFApp', { labelSelector: [...selector, { key: 'app', operator: 'equals', value: 'v' }] });
      expect(withEquality.params.slice(0, 3)).to.deep.equal(['CFApp', 'app', 'v']);
      expect(plan({ namespace: 'ns', labelSelector: [{ key: 'app', operator: 'equals', value: 'v' }] })).to.match(
        /SEARCH l USING COVERING INDEX labels_by_value \(kind=\? AND key=\? AND value=\? AND namespace=\?\)/,
      );
    });

    it('checks the other requirements by primary-key probes', () => {
      const detail = plan({
        labelSelector: [
          { key: 'a', operator: 'equals', value: 'v' },
          { key: 'b', operator: 'notIn', values: ['x'] },
        ],
      });
      expect(detail).to.match(/SEARCH x USING PRIMARY KEY \(object_id=\? AND key=\?\)/);
    });

    it('prefers the namespace index to a bare exists within one namespace', () => {
      expect(plan({ namespace: 'ns', labelSelector: [{ key: 'a', operator: 'exists' }] })).to.match(
        /SEARCH o USING (COVERING )?INDEX objects_by_key/,
      );
      expect(plan({ labelSelector: [{ key: 'a', operator: 'exists' }] })).to.match(
        /SEARCH l USING COVERING INDEX labels_by_value \(kind=\? AND key=\?\)/,
      );
    });
  });

  describe('results', () => {
    let t: TestStore;
    const namespaces = ['ns-a', 'ns-b', 'ns-c'];
    const keys = ['k1', 'k2', 'example.com/k3'];
    const values = ['', 'v1', 'v2', 'v3'];
    let random = 7;
    const next = (n: number) => {
      random = (random * 1103515245 + 12345) % 2147483648;
      return random % n;
    };
    const pick = <T>(items: T[]) => items[next(items.length)]!;

    before(async () => {
      t = await testStore();
      await t.admin.createAll(namespaces.map((name) => namespace(name)));
      const objects = Array.from({ length: 120 }, (_, index) => {
        const labels: Record<string, string> = {};
        for (const key of keys) if (next(3) > 0) labels[key] = pick(values);
        return app(pick(namespaces), `app-${index}`, { labels });
      });
      await t.admin.createAll(objects);
    });
    after(async () => t.dispose());

    const randomRequirement = (): Requirement => {
      const key = pick(keys);
      switch (next(6)) {
        case 0:
          return { key, operator: 'exists' };
        case 1:
          return { key, operator: 'notExists' };
        case 2:
          return { key, operator: 'equals', value: pick(values) };
        case 3:
          return { key, operator: 'notEquals', value: pick(values) };
        case 4:
          return { key, operator: 'in', values: [pick(values), pick(values)] };
        default:
          return { key, operator: 'notIn', values: [pick(values)] };
      }
    };

    it('selects exactly what matchesLabelSelector selects, for 300 random selectors', async () => {
      const everything = (await t.admin.list('CFApp')).items;
      for (let round = 0; round < 300; round += 1) {
        const selector = Array.from({ length: 1 + next(3) }, randomRequirement);
        const namespaceFilter = next(3) === 0 ? pick(namespaces) : undefined;
        const expected = everything
          .filter((item) => namespaceFilter === undefined || item.metadata.namespace === namespaceFilter)
          .filter((item) => matchesLabelSelector(selector, item.metadata.labels ?? {}))
          .map((item) => item.metadata.name);
        const options =
          namespaceFilter === undefined ? { labelSelector: selector } : { labelSelector: selector, namespace: namespaceFilter };
        const actual = (await t.admin.list('CFApp', options)).items.map((item) => item.metadata.name);
        expect(actual, JSON.stringify(options)).to.deep.equal(expected);
      }
    });
  });
});
