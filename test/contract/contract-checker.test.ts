import { expect } from 'chai';
import { ContractChecker } from '../support/contract.ts';

describe('ContractChecker (the harness that checks every test response)', () => {
  let checker: ContractChecker;
  before(async () => {
    checker = await ContractChecker.load();
  });
  const headers = new Headers();

  it('accepts a response that matches its operation', () => {
    expect(checker.check({ method: 'GET', path: '/whoami', status: 200, headers, body: { name: 'a', kind: 'User' } })).to.deep.equal([]);
  });

  it('reports a body that breaks the schema', () => {
    const problems = checker.check({ method: 'GET', path: '/whoami', status: 200, headers, body: { name: 'a', kind: 'Robot' } });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.contain('getWhoAmI').and.to.contain('kind value must be one of');
  });

  it('checks error statuses against the CF error schema', () => {
    expect(checker.check({ method: 'GET', path: '/whoami', status: 401, headers, body: { errors: [] } })).to.have.length(1);
    expect(checker.check({ method: 'GET', path: '/whoami', status: 503, headers, body: { message: 'down' } })).to.have.length(1);
  });

  it('reports a missing required header', () => {
    const problems = checker.check({ method: 'DELETE', path: '/v3/organizations/x', status: 202, headers, body: undefined });
    expect(problems).to.deep.equal(['DELETE /v3/organizations/x → 202: missing header Location']);
  });

  it('holds responses to unknown routes to the CF error envelope', () => {
    expect(checker.check({ method: 'GET', path: '/nowhere', status: 404, headers, body: { ok: true } })).to.have.length(1);
  });
});
