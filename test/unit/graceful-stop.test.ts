import { expect } from 'chai';
import Koa from 'koa';
import { connect, type Socket } from 'node:net';
import { validateConfig } from '../../src/config/load.ts';
import { Lifecycle } from '../../src/observability/lifecycle.ts';
import { startServer, type RunningServer } from '../../src/server.ts';

type RawResponse = { status: number; headers: Record<string, string>; body: string };

/**
 * One client connection, read byte by byte as it arrives (no HTTP client in between that could pool,
 * retry or hide a close): requests go out as written, responses are parsed by Content-Length.
 */
class RawConnection {
  readonly socket: Socket;
  readonly closed: Promise<number>;
  #buffer = '';
  #waiting: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#waiting?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(performance.now())));
    void this.closed.then(() => this.#waiting?.());
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  write(text: string): void {
    this.socket.write(text);
  }

  async request(method: string, path: string): Promise<RawResponse> {
    this.write(`${method} ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
    return this.response();
  }

  /** The next whole response; rejects when the connection closes first. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const parsed = this.#take();
      if (parsed) return parsed;
      if (this.socket.destroyed) throw new Error(`connection closed before a whole response (read: ${JSON.stringify(this.#buffer)})`);
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
  }

  #take(): RawResponse | undefined {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine = '', ...lines] = this.#buffer.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? 0);
    if (this.#buffer.length < end + 4 + length) return undefined;
    const body = this.#buffer.slice(end + 4, end + 4 + length);
    this.#buffer = this.#buffer.slice(end + 4 + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  }
}

function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('graceful stop (src/server.ts)', () => {
  let running: RunningServer | undefined;
  let lifecycle: Lifecycle;
  let slow: ReturnType<typeof gate>;
  let slowArrived: ReturnType<typeof gate>;
  const connections: RawConnection[] = [];

  /** A server whose `/slow` answers when the test opens the gate, `/echo` after reading the whole body, `/never` never. */
  async function serve(shutdownDelaySeconds: number, shutdownTimeoutSeconds: number): Promise<RunningServer> {
    const app = new Koa();
    app.use(async (ctx) => {
      if (ctx.path === '/slow') {
        slowArrived.open();
        await slow.opened;
      }
      if (ctx.path === '/never') await new Promise(() => {});
      if (ctx.path === '/echo') {
        let received = '';
        for await (const chunk of ctx.req) received += String(chunk);
        ctx.body = received;
        return;
      }
      if (ctx.path === '/stream') {
        ctx.status = 200;
        ctx.res.writeHead(200, { 'Content-Length': '4' });
        ctx.res.write('st');
        await slow.opened;
        ctx.res.end('ok');
        ctx.respond = false;
        return;
      }
      ctx.body = 'ok';
    });
    const config = validateConfig({ listen: { host: '127.0.0.1', port: 0 }, shutdownDelaySeconds, shutdownTimeoutSeconds });
    running = await startServer(app, config, { lifecycle });
    return running;
  }

  async function open(url: string): Promise<RawConnection> {
    const connection = await RawConnection.open(url);
    connections.push(connection);
    return connection;
  }

  beforeEach(() => {
    lifecycle = new Lifecycle();
    slow = gate();
    slowArrived = gate();
  });
  afterEach(async () => {
    slow.open();
    for (const connection of connections.splice(0)) connection.socket.destroy();
    await running?.stop();
    running = undefined;
  });

  it('keeps serving through the delay, new connections too, every response closing its connection; then refuses connections', async () => {
    const server = await serve(0.6, 5);
    const kept = await open(server.url);
    const before = await kept.request('GET', '/');
    expect(before.status).to.equal(200);
    expect(before.headers['connection']).to.equal('keep-alive');

    const stopStarted = performance.now();
    const stopped = server.stop();
    expect(lifecycle.draining, 'stop() starts draining the lifecycle /readyz reads').to.equal(true);
    const during = await kept.request('GET', '/');
    expect(during.status).to.equal(200);
    expect(during.headers['connection']).to.equal('close');
    await kept.closed;

    const fresh = await open(server.url);
    const onNew = await fresh.request('GET', '/');
    expect(onNew.status).to.equal(200);
    expect(onNew.headers['connection']).to.equal('close');
    await fresh.closed;

    await stopped;
    expect(performance.now() - stopStarted).to.be.at.least(590);
    const refused = await RawConnection.open(server.url).then(
      (connection) => (connection.socket.destroy(), 'accepted'),
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(refused).to.equal('ECONNREFUSED');
  });

  it('lets requests in flight finish (a slow handler, a body still arriving) and closes idle connections only after the delay', async () => {
    const server = await serve(0.4, 5);
    const idle = await open(server.url);
    expect((await idle.request('GET', '/')).headers['connection']).to.equal('keep-alive');
    const busy = await open(server.url);
    busy.write('GET /slow HTTP/1.1\r\nHost: test\r\n\r\n');
    await slowArrived.opened;
    const uploading = await open(server.url);
    const body = 'x'.repeat(30);
    uploading.write(`POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    await sleep(50);

    const stopStarted = performance.now();
    let stoppedAt = 0;
    const stopped = server.stop().then(() => (stoppedAt = performance.now()));
    await sleep(200);
    expect(idle.isClosed, 'an idle connection stays open during the delay').to.equal(false);
    uploading.write(body.slice(10, 20));
    const idleClosedAt = await idle.closed;
    expect(idleClosedAt - stopStarted).to.be.within(380, 1000);
    expect(busy.isClosed || uploading.isClosed, 'connections with a request in flight stay open').to.equal(false);

    await sleep(300);
    uploading.write(body.slice(20));
    const echoed = await uploading.response();
    expect(echoed).to.deep.include({ status: 200, body });
    expect(echoed.headers['connection']).to.equal('close');
    await uploading.closed;

    expect(stoppedAt, 'stop waits for the slow request').to.equal(0);
    slow.open();
    const answered = await busy.response();
    expect(answered.status).to.equal(200);
    expect(answered.headers['connection']).to.equal('close');
    await busy.closed;
    await stopped;
  });

  it('closes a connection whose response began before the drain once that response has ended', async () => {
    const server = await serve(0, 5);
    const streaming = await open(server.url);
    streaming.write('GET /stream HTTP/1.1\r\nHost: test\r\n\r\n');
    await sleep(100);
    const stopped = server.stop();
    await sleep(100);
    expect(streaming.isClosed).to.equal(false);
    slow.open();
    const response = await streaming.response();
    expect(response).to.deep.include({ status: 200, body: 'stok' });
    expect(response.headers['connection'], 'its head went out before the drain').to.equal('keep-alive');
    await streaming.closed;
    await stopped;
  });

  it('destroys what is still open once the timeout has passed', async () => {
    const server = await serve(0, 0.3);
    const stuck = await open(server.url);
    stuck.write('GET /never HTTP/1.1\r\nHost: test\r\n\r\n');
    await sleep(50);
    const started = performance.now();
    await server.stop();
    expect(performance.now() - started).to.be.within(280, 1000);
    await stuck.closed;
    await stuck.response().then(
      () => expect.fail('no response was expected'),
      (error: Error) => expect(error.message).to.contain('connection closed'),
    );
  });
});
