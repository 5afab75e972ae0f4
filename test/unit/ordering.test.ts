import { expect } from 'chai';
import { orderBy } from '../../src/lists/ordering.ts';

type Item = { name: string; createdAt: string };
const items: Item[] = [
  { name: 'b', createdAt: '2026-01-02T00:00:00Z' },
  { name: 'a', createdAt: '2026-01-03T00:00:00Z' },
  { name: 'c', createdAt: '2026-01-01T00:00:00Z' },
];
const fields = { name: (item: Item) => item.name, created_at: (item: Item) => item.createdAt };

describe('orderBy', () => {
  it('sorts ascending by a field', () => {
    expect(orderBy(items, 'name', fields).map((item) => item.name)).to.deep.equal(['a', 'b', 'c']);
  });

  it('sorts descending with a leading -', () => {
    expect(orderBy(items, '-created_at', fields).map((item) => item.name)).to.deep.equal(['a', 'b', 'c']);
  });

  it('keeps the given order without order_by, and never changes its input', () => {
    expect(orderBy(items, undefined, fields)).to.deep.equal(items);
    orderBy(items, 'name', fields);
    expect(items[0]!.name).to.equal('b');
  });
});
