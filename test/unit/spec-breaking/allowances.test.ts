import { expect } from 'chai';
import {
  type BreakingChange,
  checkBreakingChanges,
  formatBreakingCheck,
  parseAllowances,
} from '../../../scripts/spec-breaking/allowances-lib.ts';

const change = (overrides: Partial<BreakingChange> = {}): BreakingChange => ({
  id: 'new-required-request-property',
  text: 'added the new required request property `ticket`',
  level: 3,
  operation: 'POST',
  path: '/v3/apps',
  ...overrides,
});

const allowance = { id: 'new-required-request-property', operation: 'POST /v3/apps', reason: 'agreed', reviewer: 'jane' };

describe('spec:breaking allowances (which breaking changes a review let through)', () => {
  it('fails an ERR-level change nobody allowed and prints the entry that would allow it', () => {
    const result = checkBreakingChanges([change()], []);
    expect(result.refused).to.have.length(1);
    const text = formatBreakingCheck(result);
    expect(text).to.contain('1 breaking change(s) not allowed:');
    expect(text).to.contain('  - id: new-required-request-property\n    operation: POST /v3/apps');
  });

  it('lets through a change matching id, operation and text; another operation or text is not covered', () => {
    const allowances = parseAllowances({ allowed: [{ ...allowance, text: 'ticket' }] });
    expect(checkBreakingChanges([change()], allowances).refused).to.deep.equal([]);
    expect(checkBreakingChanges([change({ path: '/v3/spaces' })], allowances).refused).to.have.length(1);
    expect(checkBreakingChanges([change({ text: 'added the new required request property `name`' })], allowances).refused).to.have.length(
      1,
    );
  });

  it('prints warnings without failing, and names allowances that match nothing', () => {
    const result = checkBreakingChanges(
      [change({ level: 2, id: 'request-property-pattern-changed' })],
      parseAllowances({ allowed: [allowance] }),
    );
    expect(result.refused).to.deep.equal([]);
    expect(result.warnings).to.have.length(1);
    expect(formatBreakingCheck(result)).to.contain(
      'unused allowance (matches no change now): [new-required-request-property] POST /v3/apps',
    );
  });

  it('takes an empty file or an empty list, and refuses entries without reason, reviewer or a METHOD /path operation', () => {
    expect(parseAllowances(null)).to.deep.equal([]);
    expect(parseAllowances({ allowed: [] })).to.deep.equal([]);
    expect(() => parseAllowances({ allowed: [{ ...allowance, reviewer: ' ' }] })).to.throw('allowed[0] needs a non-empty reviewer');
    expect(() => parseAllowances({ allowed: [{ id: 'x', operation: 'POST /v3/apps', reviewer: 'jane' }] })).to.throw(
      'needs a non-empty reason',
    );
    expect(() => parseAllowances({ allowed: [{ ...allowance, operation: '/v3/apps' }] })).to.throw('operation must be "METHOD /path"');
    expect(() => parseAllowances({ allowed: [{ ...allowance, reviewd: 'x' }] })).to.throw('unknown key reviewd');
    expect(() => parseAllowances([allowance])).to.throw('expected a mapping');
  });
});
