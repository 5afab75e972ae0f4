import { expect } from 'chai';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { startAppRouter, type AppRouter, type Endpoint, type RoutingTable } from '../../../src/router/app-router.ts';
import { RouteIndex } from '../../../src/router/route-index.ts';
import { capturingLogger } from '../../reconcilers/support.ts';
import { eventually } from '../../store/fixture.ts';
import {
  echoOf,
  refusedPort,
  send,
  sendRaw,
  startEchoBackend,
  startResettingBackend,
  startSilentBackend,
  startDroppingBackend,
  type Backend,
} from './router-fixtures.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('app router', () => {
  let router: AppRouter | undefined;
  const closers: (() => Promise<void>)[] = [];
  let table: RouteIndex;
  /** RUNNING instances by `app/processType`, as the process supervisor would answer them. */
  let running: Map<string, Endpoint[]>;
  let log: ReturnType<typeof capturingLogger>;

  const endpoints = (appGuid: string, processType: string): readonly Endpoint[] => running.get(`${appGuid}/${processType}`) ?? [];
  const route = (fqdn: string, path: string, ...apps: string[]) =>
    table.set(`${fqdn}${path}`, { fqdn, path, targets: apps.map((appGuid) => ({ appGuid, processType: 'web' })) });
  const run = (appGuid: string, ...ports: number[]) =>
    running.set(
      `${appGuid}/web`,
      ports.map((port, index) => ({ index, host: '127.0.0.1', port })),
    );
  const backend = async (name: string, options: { webSockets?: boolean } = {}): Promise<Backend> => {
    const started = await startEchoBackend(name, options);
    closers.push(() => started.close());
    return started;
  };
  const start = async (routingTable: RoutingTable = table): Promise<AppRouter> => {
    router = await startAppRouter({ listen: { host: '127.0.0.1', port: 0 }, table: routingTable, endpoints, logger: log.logger });
    return router;
  };

  beforeEach(() => {
    table = new RouteIndex();
    running = new Map();
    log = capturingLogger();
  });
  afterEach(async () => {
    await router?.close();
    router = undefined;
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  describe('matching', () => {
    it('routes by host (any case, port ignored) and the longest path prefix on / boundaries', async () => {
      const [root, api, apiV2] = await Promise.all([backend('root'), backend('api'), backend('api-v2')]);
      route('myapp.apps.localhost', '', 'root-app');
      route('myapp.apps.localhost', '/api', 'api-app');
      route('myapp.apps.localhost', '/api/v2', 'v2-app');
      run('root-app', root.port);
      run('api-app', api.port);
      run('v2-app', apiV2.port);
      const { port } = await start();
      const instanceFor = async (host: string, path: string) => echoOf(await send(port, { host, path })).instance;

      expect(await instanceFor('myapp.apps.localhost', '/')).to.equal('root');
      expect(await instanceFor(`MyApp.Apps.LocalHost:${port}`, '/api')).to.equal('api');
      expect(await instanceFor('myapp.apps.localhost', '/api/')).to.equal('api');
      expect(await instanceFor('myapp.apps.localhost', '/api/x?y=/api/v2')).to.equal('api');
      expect(await instanceFor('myapp.apps.localhost', '/apis')).to.equal('root');
      expect(await instanceFor('myapp.apps.localhost', '/API/V2/deeper')).to.equal('api-v2');
      expect(await instanceFor('myapp.apps.localhost', '/api/v20')).to.equal('api');
    });

    it('asks the table with the Host header’s host, without its port, and the request target', async () => {
      const asked: [string, string][] = [];
      const recording: RoutingTable = {
        lookup: (host, path) => {
          asked.push([host, path]);
          return undefined;
        },
      };
      const { port } = await start(recording);
      await send(port, { host: `Some.Host:${port}`, path: '/a/b?c=d' });
      await send(port, { host: '[::1]:8080', path: '/' });
      expect(asked).to.deep.equal([
        ['Some.Host', '/a/b?c=d'],
        ['[::1]', '/'],
      ]);
    });
  });

  describe('balancing', () => {
    it('goes round robin over every running instance of every destination of the route', async () => {
      const [a0, a1, b0] = await Promise.all([backend('a0'), backend('a1'), backend('b0')]);
      route('shared.apps.localhost', '', 'app-a', 'app-b');
      run('app-a', a0.port, a1.port);
      run('app-b', b0.port);
      const { port } = await start();
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) seen.push(echoOf(await send(port, { host: 'shared.apps.localhost' })).instance);
      expect(seen.slice(0, 3)).to.have.members(['a0', 'a1', 'b0']);
      expect(seen.slice(3)).to.deep.equal(seen.slice(0, 3));
    });

    it('follows the endpoints as instances start and stop', async () => {
      const [first, second] = await Promise.all([backend('first'), backend('second')]);
      route('scaling.apps.localhost', '', 'scaling');
      run('scaling', first.port);
      const { port } = await start();
      expect(echoOf(await send(port, { host: 'scaling.apps.localhost' })).instance).to.equal('first');
      run('scaling', second.port);
      expect(echoOf(await send(port, { host: 'scaling.apps.localhost' })).instance).to.equal('second');
    });
  });

  describe('forwarding', () => {
    it('adds gorouter’s forwarding headers and keeps the Host header', async () => {
      const instance = await backend('only');
      route('headers.apps.localhost', '', 'headers-app');
      run('headers-app', instance.port);
      const { port } = await start();
      const before = Date.now();
      const echo = echoOf(await send(port, { host: `headers.apps.localhost:${port}`, path: '/p?q=1' }));
      expect(echo.url).to.equal('/p?q=1');
      expect(echo.headers).to.include({
        host: `headers.apps.localhost:${port}`,
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': `headers.apps.localhost:${port}`,
        'x-forwarded-port': String(port),
        'x-cf-applicationid': 'headers-app',
        'x-cf-instanceindex': '0',
        'x-cf-instanceid': `127.0.0.1:${instance.port}`,
      });
      expect(echo.headers['x-vcap-request-id']).to.match(uuid);
      const requestStart = Number(echo.headers['x-request-start']);
      expect(requestStart).to.be.within(before, Date.now());
    });

    it('appends to X-Forwarded-For and keeps the forwarding headers a client (a load balancer) sent', async () => {
      const instance = await backend('only');
      route('behind-lb.apps.localhost', '', 'lb-app');
      run('lb-app', instance.port);
      const { port } = await start();
      const headers = {
        'x-forwarded-for': '203.0.113.7, 10.0.0.1',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'public.example.com',
        'x-forwarded-port': '443',
        'x-request-start': '1234',
        'x-vcap-request-id': 'given-id',
      };
      const echo = echoOf(await send(port, { host: 'behind-lb.apps.localhost', headers }));
      expect(echo.headers).to.include({ ...headers, 'x-forwarded-for': '203.0.113.7, 10.0.0.1, 127.0.0.1' });
    });

    it('keeps its own connection to the instance and the client’s connection as the client asks', async () => {
      const instance = await backend('only');
      route('conn.apps.localhost', '', 'conn-app');
      run('conn-app', instance.port);
      const { port } = await start();
      const closing = await send(port, { host: 'conn.apps.localhost', headers: { connection: 'close' } });
      expect(echoOf(closing).headers.connection).to.equal('keep-alive');
      expect(closing.headers.connection).to.equal('close');
      const raw = await sendRaw(port, 'GET / HTTP/1.1\r\nHost: conn.apps.localhost\r\n\r\n', { endAfterMs: 200 });
      // The instance's own hint (7 s, longer than the router keeps an idle client connection) stays behind.
      expect(raw).to.match(/^HTTP\/1\.1 200 OK\r\n/);
      expect(raw).not.to.match(/timeout=7/);
    });

    it('sends request bodies through', async () => {
      const instance = await backend('only');
      route('upload.apps.localhost', '', 'upload-app');
      run('upload-app', instance.port);
      const { port } = await start();
      const echo = echoOf(await send(port, { host: 'upload.apps.localhost', method: 'POST', body: 'x'.repeat(100_000) }));
      expect(echo.method).to.equal('POST');
      expect(echo.body).to.have.length(100_000);
    });
  });

  describe('answers of its own', () => {
    it('answers an unknown route with gorouter’s 404 unknown_route', async () => {
      const { port } = await start();
      const answer = await send(port, { host: `nothing.apps.localhost:${port}` });
      expect(answer.status).to.equal(404);
      expect(answer.body).to.equal(`404 Not Found: Requested route ('nothing.apps.localhost:${port}') does not exist.\n`);
      expect(answer.headers).to.include({
        'x-cf-routererror': 'unknown_route',
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-cache, no-store',
        'x-content-type-options': 'nosniff',
      });
    });

    it('answers a route without a running instance as CF does for a stopped app: 404 unknown_route', async () => {
      route('stopped.apps.localhost', '', 'stopped-app');
      route('nowhere.apps.localhost', '');
      const { port } = await start();
      for (const host of ['stopped.apps.localhost', 'nowhere.apps.localhost']) {
        const answer = await send(port, { host });
        expect(answer.status).to.equal(404);
        expect(answer.body).to.equal(`404 Not Found: Requested route ('${host}') does not exist.\n`);
        expect(answer.headers['x-cf-routererror']).to.equal('unknown_route');
      }
    });

    it('answers a request without a Host header with gorouter’s 400 empty_host, and survives odd hosts', async () => {
      const { port } = await start();
      const raw = await sendRaw(port, 'GET / HTTP/1.0\r\n\r\n');
      expect(raw).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(raw).to.match(/\r\nX-Cf-Routererror: empty_host\r\n/i);
      expect(raw).to.match(/\r\n\r\n400 Bad Request: Request had empty Host header\n$/);
      for (const host of ['a b', ':::', '[', 'x'.repeat(2000), '..', 'é.apps.localhost']) {
        expect((await send(port, { host })).status, host).to.equal(404);
      }
    });
  });

  describe('failing instances', () => {
    it('answers 502 endpoint_failure when the only instance resets the connection', async () => {
      const resetting = await startResettingBackend();
      closers.push(() => resetting.close());
      route('flaky.apps.localhost', '', 'flaky-app');
      run('flaky-app', resetting.port);
      const { port } = await start();
      const answer = await send(port, { host: 'flaky.apps.localhost' });
      expect(answer.status).to.equal(502);
      expect(answer.body).to.equal('502 Bad Gateway: Registered endpoint failed to handle the request.\n');
      expect(answer.headers['x-cf-routererror']).to.match(/^endpoint_failure \(.+\)$/);
      expect(answer.headers['content-type']).to.equal('text/plain; charset=utf-8');
      expect(log.lines.some((line) => line['level'] === 40 && line['msg'] === 'app instance failed to handle a request')).to.equal(true);
    });

    it('names a refused dial as gorouter does', async () => {
      const refused = await refusedPort();
      route('down.apps.localhost', '', 'down-app');
      run('down-app', refused);
      const { port } = await start();
      const answer = await send(port, { host: 'down.apps.localhost' });
      expect(answer.status).to.equal(502);
      expect(answer.headers['x-cf-routererror']).to.equal(`endpoint_failure (dial tcp 127.0.0.1:${refused}: connect: connection refused)`);
    });

    it('retries a GET once on another instance when the first resets it, but not a POST whose body went out', async () => {
      const [resetting, good] = await Promise.all([startResettingBackend(), backend('good')]);
      closers.push(() => resetting.close());
      route('retry.apps.localhost', '', 'retry-app');
      run('retry-app', resetting.port, good.port);
      const { port } = await start();
      const gets: string[] = [];
      for (let i = 0; i < 4; i++) gets.push(echoOf(await send(port, { host: 'retry.apps.localhost' })).instance);
      expect(gets).to.deep.equal(['good', 'good', 'good', 'good']);
      expect(resetting.hits).to.equal(2);
      // Round robin goes on: the next request starts at the resetting instance, which took its body.
      const posts: number[] = [];
      for (let i = 0; i < 2; i++) posts.push((await send(port, { host: 'retry.apps.localhost', method: 'POST', body: 'once' })).status);
      expect(posts).to.deep.equal([502, 200]);
    });

    it('sends a request with a body to another instance when the first refuses the connection', async () => {
      const [good, refused] = await Promise.all([backend('good'), refusedPort()]);
      route('post.apps.localhost', '', 'post-app');
      run('post-app', refused, good.port);
      const { port } = await start();
      for (let i = 0; i < 4; i++) {
        const echo = echoOf(await send(port, { host: 'post.apps.localhost', method: 'PUT', body: `payload ${i}` }));
        expect([echo.instance, echo.body]).to.deep.equal(['good', `payload ${i}`]);
      }
    });
  });

  describe('WebSockets', () => {
    it('proxies an upgrade and the messages both ways', async () => {
      const instance = await backend('ws-instance', { webSockets: true });
      route('chat.apps.localhost', '/socket', 'chat-app');
      run('chat-app', instance.port);
      const { port } = await start();
      const socket = new WebSocket(`ws://127.0.0.1:${port}/socket/room`, { headers: { host: 'chat.apps.localhost' } });
      await once(socket, 'open');
      const reply = once(socket, 'message');
      socket.send('hello');
      const [data] = (await reply) as [Buffer];
      expect(data.toString()).to.equal('ws-instance: hello');
      socket.close();
      await once(socket, 'close');
    });

    it('treats an upgrade to anything but WebSocket (curl’s h2c) as an ordinary request', async () => {
      const instance = await backend('plain');
      route('h2c.apps.localhost', '', 'h2c-app');
      run('h2c-app', instance.port);
      const { port } = await start();
      const headers = { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA' };
      const echo = echoOf(await send(port, { host: 'h2c.apps.localhost', headers }));
      expect(echo.instance).to.equal('plain');
      expect(echo.headers).not.to.have.property('upgrade');
    });

    it('answers an upgrade to an unknown route with 404 unknown_route', async () => {
      const { port } = await start();
      const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: 'ghost.apps.localhost' } });
      const [, response] = (await once(socket, 'unexpected-response')) as [
        unknown,
        { statusCode: number; headers: Record<string, string> },
      ];
      expect(response.statusCode).to.equal(404);
      expect(response.headers['x-cf-routererror']).to.equal('unknown_route');
      socket.on('error', () => undefined);
      socket.terminate();
    });

    it('answers an upgrade whose instance refuses with 502 endpoint_failure', async () => {
      route('ws-down.apps.localhost', '', 'ws-down');
      run('ws-down', await refusedPort());
      const { port } = await start();
      const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: 'ws-down.apps.localhost' } });
      const [, response] = (await once(socket, 'unexpected-response')) as [
        unknown,
        { statusCode: number; headers: Record<string, string> },
      ];
      expect(response.statusCode).to.equal(502);
      expect(response.headers['x-cf-routererror']).to.match(/^endpoint_failure \(dial tcp/);
      socket.on('error', () => undefined);
      socket.terminate();
    });
  });

  describe('robustness', () => {
    it('survives clients that hang up while an instance is answering or while they upload', async () => {
      const [silent, good] = await Promise.all([startSilentBackend(), backend('good')]);
      closers.push(() => silent.close());
      route('slow.apps.localhost', '', 'slow-app');
      route('fine.apps.localhost', '', 'fine-app');
      run('slow-app', silent.port);
      run('fine-app', good.port);
      const { port } = await start();

      const waiting = request({ host: '127.0.0.1', port, agent: false, headers: { host: 'slow.apps.localhost' } });
      waiting.on('error', () => undefined);
      waiting.end();
      await eventually(async () => expect(silent.requests).to.equal(1));
      waiting.destroy();

      const uploading = connect(port, '127.0.0.1');
      uploading.on('error', () => undefined);
      await once(uploading, 'connect');
      uploading.write('POST / HTTP/1.1\r\nHost: fine.apps.localhost\r\nContent-Length: 1000\r\n\r\npartial');
      await new Promise((resolve) => setTimeout(resolve, 50));
      uploading.destroy();

      expect(echoOf(await send(port, { host: 'fine.apps.localhost' })).instance).to.equal('good');
    });

    it('cuts the client off when an instance drops the connection in the middle of its answer', async () => {
      const [dropping, good] = await Promise.all([startDroppingBackend(), backend('good')]);
      closers.push(() => dropping.close());
      route('dropping.apps.localhost', '', 'dropping-app');
      route('fine.apps.localhost', '', 'fine-app');
      run('dropping-app', dropping.port);
      run('fine-app', good.port);
      const { port } = await start();
      const outcome = await new Promise<string>((resolve) => {
        const req = request({ host: '127.0.0.1', port, agent: false, headers: { host: 'dropping.apps.localhost' } }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve(`ended ${res.statusCode}`));
          res.on('error', (error: NodeJS.ErrnoException) => resolve(`cut off after ${res.statusCode}: ${error.code}`));
        });
        req.on('error', (error: NodeJS.ErrnoException) => resolve(`failed: ${error.code}`));
        req.end();
      });
      expect(outcome).to.equal('cut off after 200: ECONNRESET');
      expect(echoOf(await send(port, { host: 'fine.apps.localhost' })).instance).to.equal('good');
    });

    it('answers 500 instead of crashing when the routing table throws', async () => {
      const broken: RoutingTable = {
        lookup: () => {
          throw new Error('broken table');
        },
      };
      const { port } = await start(broken);
      const answer = await send(port, { host: 'any.apps.localhost' });
      expect(answer.status).to.equal(500);
      expect(answer.headers['x-cf-routererror']).to.equal('router_failure');
      const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: 'any.apps.localhost' } });
      const [, response] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode: number }];
      expect(response.statusCode).to.equal(500);
      socket.on('error', () => undefined);
      socket.terminate();
    });

    it('close() ends the server, idle keep-alive connections and WebSockets, leaving no handle behind', async () => {
      const instance = await backend('ws-instance', { webSockets: true });
      route('closing.apps.localhost', '', 'closing-app');
      run('closing-app', instance.port);
      const handlesBefore = tcpHandles();
      const started = await start();
      const { port } = started;

      const idle = connect(port, '127.0.0.1');
      await once(idle, 'connect');
      idle.write('GET / HTTP/1.1\r\nHost: closing.apps.localhost\r\n\r\n');
      await once(idle, 'data');
      const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: 'closing.apps.localhost' } });
      await once(socket, 'open');

      const idleClosed = once(idle, 'close');
      const socketClosed = once(socket, 'close');
      await started.close();
      router = undefined;
      await Promise.all([idleClosed, socketClosed]);
      await eventually(async () => expect(tcpHandles()).to.equal(handlesBefore), 2_000);
      const refused = await send(port, { host: 'closing.apps.localhost' }).then(
        () => 'answered',
        (error: NodeJS.ErrnoException) => error.code,
      );
      expect(refused).to.equal('ECONNREFUSED');
    });
  });
});

/** Open TCP servers and sockets of this process. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name.startsWith('TCP')).length;
}
