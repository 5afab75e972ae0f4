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

  it('pairs the responses of requests the CLI ran at once with their requests by B3 span id', () => {
    const trace = [
      'REQUEST: [2026-12-05T10:00:00Z]',
      'POST /v3/builds HTTP/1.1',
      'X-B3-Spanid: 1111111111111111',
      '{}',
      '',
      'REQUEST: [2026-12-05T10:00:00Z]',
      'GET /v3/apps?names=a HTTP/1.1',
      'X-B3-Spanid: 2222222222222222',
      '',
      'RESPONSE: [2026-12-05T10:00:00Z]',
      'HTTP/1.1 200 OK',
      'X-B3-Spanid: 2222222222222222',
      '{"resources":[]}',
      '',
      'RESPONSE: [2026-12-05T10:00:00Z]',
      'HTTP/1.1 201 Created',
      'X-B3-Spanid: 1111111111111111',
      '{"guid":"b"}',
      '',
    ].join('\n');
    const exchanges = exchangesOf(trace).map(({ method, path, status, body }) => ({ method, path, status, body }));
    expect(exchanges).to.deep.equal([
      { method: 'GET', path: '/v3/apps', status: 200, body: { resources: [] } },
      { method: 'POST', path: '/v3/builds', status: 201, body: { guid: 'b' } },
    ]);
  });

  it('lets the contract checker catch a response that breaks the document', async () => {
    const checker = await ContractChecker.load();
    const [good] = exchangesOf(traceOf('{\n  "kind": "User",\n  "name": "admin"\n}'));
    const [bad] = exchangesOf(traceOf('{\n  "name": "admin"\n}'));
    expect(checker.check(good!)).to.deep.equal([]);
    expect(checker.check(bad!).join('\n')).to.contain('GET /whoami → 200');
  });
});
