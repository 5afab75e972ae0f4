import { expect } from 'chai';
import { ContractChecker } from '../support/contract.ts';
import { exchangesOf } from '../e2e/support/cli-trace.ts';

/** A trace as the cf CLI writes one with CF_TRACE: request blocks, then response blocks with re-indented JSON. */
function traceOf(whoamiBody: string): string {
  return [
    'REQUEST: [2026-12-05T10:00:00Z]',
    'GET /whoami HTTP/1.1',
    'Host: 127.0.0.1:8080',
    'Authorization: [PRIVATE DATA HIDDEN]',
    '[application/json Content Hidden]',
    '',
    'RESPONSE: [2026-12-05T10:00:00Z]',
    'HTTP/1.1 200 OK',
    'Content-Type: application/json; charset=utf-8',
    'X-Correlation-Id: 3c1f',
    whoamiBody,
    '',
    'REQUEST: [2026-12-05T10:00:01Z]',
    'DELETE /v3/organizations/6e2b?x=1 HTTP/1.1',
    'Host: 127.0.0.1:8080',
    '',
    'RESPONSE: [2026-12-05T10:00:01Z]',
    'HTTP/1.1 202 Accepted',
    'Location: http://127.0.0.1:8080/v3/jobs/org.delete~6e2b',
    'X-Cf-Warnings: a%20warning',
    '',
    '',
  ].join('\n');
}

describe('reading the cf CLI trace for contract checks', () => {
  it('reads each request line with its response status, headers and body', () => {
    const [whoami, deletion] = exchangesOf(traceOf('{\n  "kind": "User",\n  "name": "admin"\n}'));
    expect(whoami).to.deep.include({ method: 'GET', path: '/whoami', status: 200, body: { kind: 'User', name: 'admin' } });
    expect(whoami!.headers.get('x-correlation-id')).to.equal('3c1f');
    expect(deletion).to.deep.include({ method: 'DELETE', path: '/v3/organizations/6e2b', status: 202, body: undefined });
    expect(deletion!.headers.get('location')).to.equal('http://127.0.0.1:8080/v3/jobs/org.delete~6e2b');
    expect(deletion!.headers.get('x-cf-warnings')).to.equal('a%20warning');
  });

  it('lets the contract checker catch a response that breaks the document', async () => {
    const checker = await ContractChecker.load();
    const [good] = exchangesOf(traceOf('{\n  "kind": "User",\n  "name": "admin"\n}'));
    const [bad] = exchangesOf(traceOf('{\n  "name": "admin"\n}'));
    expect(checker.check(good!)).to.deep.equal([]);
    expect(checker.check(bad!).join('\n')).to.contain('GET /whoami → 200');
  });
});
