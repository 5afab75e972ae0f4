import { expect } from 'chai';
import { ContractChecker } from '../../support/contract.ts';

describe('ContractChecker coverage recording (what `npm run contract:coverage` counts)', () => {
  const headers = new Headers();

  it('tells its recorder of every response that passes, by operationId and status, and of unmatched ones without one', async () => {
    const seen: [string | undefined, number][] = [];
    const checker = await ContractChecker.load({ coverage: { record: (operationId, status) => seen.push([operationId, status]) } });
    expect(checker.check({ method: 'GET', path: '/whoami', status: 200, headers, body: { name: 'a', kind: 'User' } })).to.deep.equal([]);
    const notFound = { errors: [{ code: 10000, title: 'CF-NotFound', detail: 'Unknown request' }] };
    expect(checker.check({ method: 'GET', path: '/nowhere', status: 404, headers, body: notFound })).to.deep.equal([]);
    expect(seen).to.deep.equal([
      ['getWhoAmI', 200],
      [undefined, 404],
    ]);
  });

  it('does not count a response that breaks the contract', async () => {
    const seen: unknown[] = [];
    const checker = await ContractChecker.load({ coverage: { record: (...args) => seen.push(args) } });
    expect(checker.check({ method: 'GET', path: '/whoami', status: 200, headers, body: { name: 'a', kind: 'Robot' } })).to.have.length(1);
    expect(checker.check({ method: 'GET', path: '/whoami', status: 418, headers, body: undefined })).to.have.length(1);
    expect(seen).to.deep.equal([]);
  });
});
