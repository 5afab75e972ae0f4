import { expect } from 'chai';
import { connect } from 'node:net';
import { forEachBackend } from '../tenancy/backends.ts';

/** Writes raw bytes to the server and answers everything it sends back until it closes the connection. */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(request));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function parse(answer: string): { status: number; headers: string; body: unknown } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head, body: body === '' ? undefined : (JSON.parse(body) as unknown) };
}

/**
 * Found by the fuzzer (`npm run fuzz`, its oversized-header requests): a request that Node's HTTP parser
 * refuses never reached the app, and Node answered it with a bare status and no body. Now it is answered
 * in CF's error envelope, and the server goes on serving.
 */
forEachBackend('fuzz regression: requests the HTTP parser refuses', (cf) => {
  it('headers over 16 KiB: 431 with a CF error', async () => {
    const answer = parse(await rawExchange(cf.server.url, `GET /v3/info HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`));
    expect(answer.status).to.equal(431);
    expect(answer.headers).to.match(/content-type: application\/json/i);
    expect(answer.body).to.deep.equal({
      errors: [{ code: 10004, title: 'CF-InvalidRequest', detail: 'The request headers are too large.' }],
    });
  });

  it('a malformed request line: 400 with a CF error', async () => {
    const answer = parse(await rawExchange(cf.server.url, 'GET /v3/info HTTP/1.1 extra\r\n\r\n'));
    expect(answer.status).to.equal(400);
    expect(answer.body).to.have.nested.property('errors[0].title', 'CF-InvalidRequest');
  });

  it('a header line without a colon: 400 with a CF error, and the server still answers', async () => {
    const answer = parse(await rawExchange(cf.server.url, 'GET /v3/info HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n'));
    expect(answer.status).to.equal(400);
    expect(answer.body).to.have.nested.property('errors[0].code', 10004);
    expect((await cf.get('/v3/info')).status).to.equal(200);
  });
});
