import { expect } from 'chai';
import { LabelSelectorError, matchesLabelSelector, parseLabelSelector } from '../../src/labels/selector.ts';

describe('parseLabelSelector', () => {
  it('reads every requirement form of the Kubernetes grammar', () => {
    expect(parseLabelSelector('tier, !legacy, env=prod, env==prod, team!=ops, zone in (a, b), size notin (xl)')).to.deep.equal([
      { key: 'tier', operator: 'exists' },
      { key: 'legacy', operator: 'notExists' },
      { key: 'env', operator: 'equals', value: 'prod' },
      { key: 'env', operator: 'equals', value: 'prod' },
      { key: 'team', operator: 'notEquals', value: 'ops' },
      { key: 'zone', operator: 'in', values: ['a', 'b'] },
      { key: 'size', operator: 'notIn', values: ['xl'] },
    ]);
  });

  it('accepts prefixed keys and empty values', () => {
    expect(parseLabelSelector('example.com/owner=,a.b/c-d_e.f=x')).to.deep.equal([
      { key: 'example.com/owner', operator: 'equals', value: '' },
      { key: 'a.b/c-d_e.f', operator: 'equals', value: 'x' },
    ]);
  });

  it('selects everything when empty', () => {
    expect(parseLabelSelector('')).to.deep.equal([]);
    expect(parseLabelSelector('  ')).to.deep.equal([]);
  });

  for (const [input, reason] of [
    ['a,,b', 'empty requirement'],
    ['env in (a,b', "unbalanced '('"],
    ['env in a,b)', "unbalanced ')'"],
    ['env in ()', 'needs at least one value'],
    ['-bad=x', 'not a valid label key'],
    ['env=has space', 'not a valid label value'],
    ['env=a=b', 'not a valid label value'],
    ['Upper.Case/x=y', 'not a valid label key'],
    [`k=${'v'.repeat(64)}`, 'not a valid label value'],
    [Array.from({ length: 51 }, (_, i) => `k${i}`).join(','), 'too many requirements (51; the maximum is 50)'],
  ] as const) {
    it(`refuses ${input.length > 40 ? `${input.slice(0, 40)}…` : input}`, () => {
      expect(() => parseLabelSelector(input)).to.throw(LabelSelectorError, reason);
    });
  }
});

describe('matchesLabelSelector', () => {
  const labels = { env: 'prod', tier: 'web' };
  const matches = (selector: string) => matchesLabelSelector(parseLabelSelector(selector), labels);

  it('ANDs the requirements', () => {
    expect(matches('env=prod,tier=web')).to.equal(true);
    expect(matches('env=prod,tier=db')).to.equal(false);
  });

  it('applies each operator', () => {
    expect([matches('env'), matches('!env'), matches('!missing'), matches('env!=dev'), matches('missing!=x')]).to.deep.equal([
      true,
      false,
      true,
      true,
      true,
    ]);
    expect([
      matches('env in (dev,prod)'),
      matches('env notin (prod)'),
      matches('missing notin (x)'),
      matches('missing in (x)'),
    ]).to.deep.equal([true, false, true, false]);
  });
});
