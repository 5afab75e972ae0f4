import { expect } from 'chai';
import { applyMergePatch } from '../../src/store/merge-patch.ts';

describe('applyMergePatch', () => {
  // The examples of RFC 7386, appendix A.
  const examples: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];

  for (const [target, patch, result] of examples) {
    it(`patches ${JSON.stringify(target)} with ${JSON.stringify(patch)}`, () => {
      expect(applyMergePatch(target, patch)).to.deep.equal(result);
    });
  }

  it('changes neither argument and shares nothing mutable with the patch', () => {
    const target = { metadata: { labels: { a: '1' } }, spec: { list: [1] } };
    const patch = { metadata: { labels: { a: null, b: '2' } }, spec: { list: [2], extra: { deep: true } } };
    const targetCopy = structuredClone(target);
    const patchCopy = structuredClone(patch);
    const result = applyMergePatch(target, patch) as typeof patch;
    expect(target).to.deep.equal(targetCopy);
    expect(patch).to.deep.equal(patchCopy);
    expect(result).to.deep.equal({ metadata: { labels: { b: '2' } }, spec: { list: [2], extra: { deep: true } } });
    result.spec.list.push(3);
    result.spec.extra.deep = false;
    expect(patch).to.deep.equal(patchCopy);
  });

  it('keeps untouched parts of the target', () => {
    const target = { spec: { a: { deep: 1 } }, status: { phase: 'x' } };
    expect(applyMergePatch(target, { spec: { b: 2 } })).to.deep.equal({ spec: { a: { deep: 1 }, b: 2 }, status: { phase: 'x' } });
  });

  it('treats "__proto__" as an ordinary key', () => {
    const result = applyMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.keys(result)).to.deep.equal(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(Object.getPrototypeOf(result)).to.equal(Object.prototype);
  });
});
