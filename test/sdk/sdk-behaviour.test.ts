import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CfApiError, CfJobFailedError, CfJobTimeoutError, createCfClient, serializeCfQuery, type Warning } from '../../sdk/src/index.ts';
import { retryAfterMs } from '../../sdk/src/transport.ts';

type Seen = { method: string; url: string; body: string; at: number };
type Answer = { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number };

/**
 * A scripted server for what the real one does not do on demand (503s, failing jobs, slow answers):
 * each request takes the next answer of its path's script (the last one repeats).
 */
async function scriptedServer(script: Record<string, Answer[]>): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const served = new Map<string, number>();
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    const key = `${request.method} ${new URL(request.url ?? '/', 'http://x').pathname}`;
    seen.push({ method: request.method ?? '', url: request.url ?? '', body, at: Date.now() });
    const answers = script[key] ?? [{ status: 404, body: { errors: [{ code: 10000, title: 'CF-NotFound', detail: 'Unknown request' }] } }];
    const index = served.get(key) ?? 0;
    served.set(key, index + 1);
    const answer = answers[Math.min(index, answers.length - 1)]!;
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    response.writeHead(answer.status, {
      ...(answer.body !== undefined && typeof answer.body !== 'string' ? { 'content-type': 'application/json' } : {}),
      ...answer.headers,
    });
    response.end(text);
  };
  const server: Server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const unavailable: Answer = {
  status: 503,
  headers: { 'retry-after': '0' },
  body: { errors: [{ code: 10015, title: 'CF-ServiceUnavailable', detail: 'the controllers did not answer' }] },
};
const emptyPage = {
  pagination: {
    total_results: 0,
    total_pages: 1,
    first: { href: 'https://api.example.test/v3/apps?page=1' },
    last: { href: 'https://api.example.test/v3/apps?page=1' },
    next: null,
    previous: null,
  },
  resources: [],
};
const job = (state: string, errors: unknown[] = []) => ({
  guid: 'app.delete~1',
  operation: 'app.delete',
  state,
  errors,
  warnings: [],
  links: { self: { href: 'https://api.example.test/v3/jobs/app.delete~1' } },
});

describe('SDK behaviour on scripted answers', function () {
  let server: Awaited<ReturnType<typeof scriptedServer>> | undefined;
  afterEach(() => server?.close());
  const client = (options: Parameters<typeof createCfClient>[0] extends infer O ? Omit<O, 'baseUrl'> : never = {}) =>
    createCfClient({ baseUrl: server!.url, auth: { token: 't' }, retry: { initialDelayMs: 5 }, ...options });

  it('retries a GET answered 503, honouring Retry-After, until it succeeds', async () => {
    server = await scriptedServer({
      'GET /v3/apps': [unavailable, { ...unavailable, headers: { 'retry-after': '1' } }, { status: 200, body: emptyPage }],
    });
    const { data } = await client().GET('/v3/apps');
    expect(data.resources).to.deep.equal([]);
    expect(server.seen).to.have.length(3);
    expect(server.seen[2]!.at - server.seen[1]!.at).to.be.at.least(950);
  });

  it('gives up after the configured retries with the CF error of the last 503', async () => {
    server = await scriptedServer({ 'GET /v3/apps': [unavailable] });
    const error = await client({ retry: { retries: 2, initialDelayMs: 1 } })
      .GET('/v3/apps')
      .catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(CfApiError);
    expect(error).to.include({ status: 503, code: 10015, title: 'CF-ServiceUnavailable' });
    expect(server.seen).to.have.length(3);
  });

  it('backs off exponentially when no Retry-After is given', async () => {
    server = await scriptedServer({ 'GET /v3/apps': [{ status: 503 }, { status: 503 }, { status: 200, body: emptyPage }] });
    await client({ retry: { initialDelayMs: 100 } }).GET('/v3/apps');
    const [first, second, third] = server.seen.map((request) => request.at);
    expect(second! - first!).to.be.within(95, 2000);
    expect(third! - second!).to.be.within(195, 2500);
  });

  it('does not wait for a Retry-After longer than maxDelayMs: the 503 is thrown at once', async () => {
    server = await scriptedServer({ 'GET /v3/apps': [{ ...unavailable, headers: { 'retry-after': '120' } }] });
    const started = Date.now();
    const error = await client()
      .GET('/v3/apps')
      .catch((caught: unknown) => caught);
    expect(error).to.include({ status: 503 });
    expect(server.seen).to.have.length(1);
    expect(Date.now() - started).to.be.below(1000);
  });

  it('sends a retried PUT body again; never retries POST or PATCH', async () => {
    server = await scriptedServer({
      'PUT /v3/tasks/t/cancel': [unavailable, { status: 202, body: {} }],
      'POST /v3/organizations': [unavailable],
      'PATCH /v3/organizations/o': [unavailable],
    });
    const cf = client();
    // The document's PUT takes no body; one is sent anyway to see that each try carries it.
    await cf.raw.PUT('/v3/tasks/{guid}/cancel', { params: { path: { guid: 't' } }, body: { reason: 'test' } } as never);
    const puts = server.seen.filter((request) => request.method === 'PUT');
    expect(puts.map((request) => request.body)).to.deep.equal(['{"reason":"test"}', '{"reason":"test"}']);
    expect(await cf.POST('/v3/organizations', { body: { name: 'x' } }).catch((caught: unknown) => caught)).to.include({ status: 503 });
    expect(
      await cf.PATCH('/v3/organizations/{guid}', { params: { path: { guid: 'o' } }, body: {} }).catch((caught: unknown) => caught),
    ).to.include({
      status: 503,
    });
    expect(server.seen.filter((request) => request.method !== 'PUT')).to.have.length(2);
  });

  it('stops retrying when the signal aborts during the backoff', async () => {
    server = await scriptedServer({ 'GET /v3/apps': [{ status: 503, headers: { 'retry-after': '5' } }] });
    const started = Date.now();
    const error = await client({ retry: { maxDelayMs: 10_000 } })
      .GET('/v3/apps', { signal: AbortSignal.timeout(200) })
      .catch((caught: unknown) => caught);
    expect((error as Error).name).to.equal('TimeoutError');
    expect(Date.now() - started).to.be.below(2000);
    expect(server.seen).to.have.length(1);
  });

  it('aborts a request in flight', async () => {
    server = await scriptedServer({ 'GET /v3/apps': [{ status: 200, body: emptyPage, delayMs: 3000 }] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await client()
      .GET('/v3/apps', { signal: controller.signal })
      .catch((caught: unknown) => caught);
    expect((error as Error).name).to.equal('AbortError');
    expect(Date.now() - started).to.be.below(1500);
  });

  it("waits for a job that FAILED and throws the job's CF error", async () => {
    const failure = { code: 10008, title: 'CF-UnprocessableEntity', detail: 'the app could not be deleted' };
    server = await scriptedServer({
      'DELETE /v3/apps/a': [{ status: 202, headers: { location: 'https://api.example.test/v3/jobs/app.delete~1' } }],
      'GET /v3/jobs/app.delete~1': [
        { status: 200, body: job('PROCESSING') },
        { status: 200, body: job('FAILED', [failure]) },
      ],
    });
    const cf = client();
    const deleted = await cf.DELETE('/v3/apps/{guid}', { params: { path: { guid: 'a' } } });
    const error = await cf.waitForJob(deleted, { pollIntervalMs: 10 }).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(CfJobFailedError);
    expect(error).to.be.instanceOf(CfApiError);
    expect(error).to.include({ status: undefined, code: 10008, title: 'CF-UnprocessableEntity', detail: 'the app could not be deleted' });
    expect((error as CfJobFailedError).job.state).to.equal('FAILED');
    expect(server.seen.filter((request) => request.method === 'GET')).to.have.length(2);
  });

  it('gives up on a job with CfJobTimeoutError, and stops polling when aborted', async () => {
    server = await scriptedServer({ 'GET /v3/jobs/app.delete~1': [{ status: 200, body: job('PROCESSING') }] });
    const cf = client();
    const timedOut = await cf
      .waitForJob('https://elsewhere.test/v3/jobs/app.delete~1', { timeoutMs: 150, pollIntervalMs: 20 })
      .catch((caught: unknown) => caught);
    expect(timedOut).to.be.instanceOf(CfJobTimeoutError);
    expect((timedOut as CfJobTimeoutError).job?.state).to.equal('PROCESSING');

    const aborted = await cf
      .waitForJob('/v3/jobs/app.delete~1', { pollIntervalMs: 1000, signal: AbortSignal.timeout(100) })
      .catch((caught: unknown) => caught);
    expect((aborted as Error).name).to.equal('TimeoutError');
    const noLocation = await cf.waitForJob(new Response(null, { status: 202 })).catch((caught: unknown) => caught);
    expect((noLocation as Error).message).to.equal('no job to wait for: the Location is missing');
  });

  it('follows pagination.next by page number against its own base URL, and refuses a link that does not move forward', async () => {
    const page = (next: number | null, names: string[]) => ({
      pagination: {
        ...emptyPage.pagination,
        next: next === null ? null : { href: `https://api.example.test/v3/apps?names=a%2Cb&page=${next}&per_page=1` },
      },
      resources: names.map((name) => ({ name })),
    });
    server = await scriptedServer({
      'GET /v3/apps': [
        { status: 200, body: page(2, ['a']) },
        { status: 200, body: page(1, ['b']) },
      ],
    });
    const names: string[] = [];
    const error = await (async () => {
      for await (const app of client().resources('/v3/apps', { params: { query: { names: ['a', 'b'], per_page: 1 } } }))
        names.push(app.name);
    })().catch((caught: unknown) => caught);
    expect(names).to.deep.equal(['a', 'b']);
    expect((error as Error).message).to.match(/does not move forward/);
    expect(server.seen.map((request) => request.url)).to.deep.equal([
      '/v3/apps?names=a,b&per_page=1',
      '/v3/apps?names=a,b&per_page=1&page=2',
    ]);
  });

  it('reports each warning of X-Cf-Warnings, decoded, and keeps a non-CF error body as the detail', async () => {
    server = await scriptedServer({
      'GET /v3/apps': [{ status: 200, body: emptyPage, headers: { 'x-cf-warnings': 'first%20one,second+one%2C+with+a+comma' } }],
      'GET /v3/info': [{ status: 502, body: '<html>bad gateway</html>' }],
    });
    const warnings: Warning[] = [];
    const cf = client({ onWarning: (warning) => warnings.push(warning) });
    const { warnings: onResult } = await cf.GET('/v3/apps');
    expect(onResult).to.deep.equal(['first one', 'second one, with a comma']);
    expect(warnings.map((warning) => warning.message)).to.deep.equal(onResult);
    const error = await cf.GET('/v3/info').catch((caught: unknown) => caught);
    expect(error).to.include({ status: 502, code: undefined, title: 'HTTP 502', detail: '<html>bad gateway</html>' });
  });

  it('serialises queries as CF reads them', () => {
    expect(
      serializeCfQuery({
        names: ['a', 'b,c'],
        label_selector: 'env in (prod,dev),!legacy',
        'fields[space.organization]': ['name', 'guid'],
        include: ['space', 'space.organization'],
        per_page: 10,
        skipped: undefined,
      }),
    ).to.equal(
      'names=a,b%252Cc&label_selector=env%20in%20(prod%2Cdev)%2C!legacy&fields[space.organization]=name,guid&include=space,space.organization&per_page=10',
    );
    expect(() => serializeCfQuery({ bad: { nested: true } })).to.throw(TypeError, /bad/);
    expect(retryAfterMs('3')).to.equal(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).to.equal(6000);
    expect(retryAfterMs('soon')).to.equal(undefined);
  });
});
