import { Agent, createServer, ServerResponse, type ClientRequest, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { createProxyServer, type ProxyServer, type ServerOptions } from 'http-proxy-3';
import type { Logger } from '../logger.ts';
import { addForwardedHeaders, hostWithoutPort, instanceHeaders } from './forwarded-headers.ts';
import {
  describeBackendFailure,
  emptyHost,
  endpointFailure,
  routerFailure,
  unknownRoute,
  writeRouterError,
  writeRouterErrorToSocket,
  type RouterError,
} from './router-errors.ts';

export type RouteTarget = { appGuid: string; processType: string };
export type RoutingTable = {
  /** Destinations of the route that matches host+path best (CF's longest path prefix), or undefined when no route matches. */
  lookup(host: string, path: string): readonly RouteTarget[] | undefined;
};
export type Endpoint = { index: number; host: string; port: number };

export type AppRouterOptions = {
  listen: { host: string; port: number };
  table: RoutingTable;
  /** RUNNING instances of the app's process of this type. */
  endpoints: (appGuid: string, processType: string) => readonly Endpoint[];
  logger: Logger;
};

export type AppRouter = { url: string; port: number; close(): Promise<void> };

/** An instance a request may go to: an endpoint and its app. */
type Instance = Endpoint & { appGuid: string };

/** How long a dial to an instance may take before it counts as failed (gorouter's default endpoint dial timeout). */
const dialTimeoutMs = 5_000;
/** A request is tried on at most this many instances (the first, and one retry elsewhere). */
const maxAttempts = 2;
/** Methods a retry may resend after the instance took the request and failed (Go's `isReplayable`). */
const replayableMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const dialFailures = new Set(['ECONNREFUSED', 'ECONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/**
 * The built-in HTTP router, in the role of CF's gorouter: a request goes to a RUNNING instance of the
 * destinations of the route that matches its Host (port stripped, case-insensitive) and path (longest
 * prefix on `/` boundaries), round robin over every instance of every destination of that route, with
 * gorouter's forwarding headers; WebSocket upgrades go the same way. Unknown routes, routes without a
 * running instance and failing instances get gorouter's answers (see router-errors.ts); an instance that
 * refuses or drops a request is left for another once, as gorouter retries failed dials.
 */
export async function startAppRouter(options: AppRouterOptions): Promise<AppRouter> {
  const router = new AppRouterServer(options);
  return router.listen();
}

/** One proxied request: where it may go and how far it got. */
type Exchange = {
  req: IncomingMessage;
  res: ServerResponse;
  instances: readonly Instance[];
  first: number;
  attempts: number;
  /** Whether the request carries a body, and how it is sent. */
  body: BodyKind;
  /** The body stream of the current attempt, for a `deferred` body. */
  deferred?: DeferredBody;
  done: boolean;
};

class AppRouterServer {
  readonly #options: AppRouterOptions;
  readonly #logger: Logger;
  readonly #server: Server;
  readonly #proxy: ProxyServer;
  readonly #agent = new Agent({ keepAlive: true, timeout: 60_000, maxFreeSockets: 256 });
  /** Round-robin positions by destination set. */
  readonly #positions = new Map<string, number>();
  /** Upgraded client sockets and WebSocket connections to instances, which the HTTP server does not track. */
  readonly #rawSockets = new Set<Duplex>();
  readonly #pendingUpgrades = new Set<ClientRequest>();
  readonly #upgraded = new WeakSet<Duplex>();

  constructor(options: AppRouterOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#proxy = createProxyServer({ xfwd: false, changeOrigin: false, connectTimeout: dialTimeoutMs });
    this.#proxy.on('error', (error, _req, resOrSocket) => this.#unhandledProxyError(error, resOrSocket));
    this.#proxy.on('econnreset', () => undefined);
    this.#proxy.on('proxyReq', (...[, , , proxyOptions, socket]) => this.#proxyRequestStarted(proxyOptions, socket));
    this.#proxy.on('proxyRes', (proxyRes, _req, res) => answerStarted(proxyRes, res));
    this.#proxy.on('proxyReqWs', (proxyReq, _req, socket) => this.#upgradeStarted(proxyReq, socket));
    this.#proxy.on('open', (proxySocket) => this.#track(proxySocket));
    // Only WebSocket upgrades take the upgrade path; any other (curl's `Upgrade: h2c`) is an ordinary
    // request, as gorouter (Go's server) treats it.
    this.#server = createServer({ shouldUpgradeCallback: isWebSocketUpgrade }, (req, res) => this.#request(req, res));
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
  }

  async listen(): Promise<AppRouter> {
    const { host, port } = this.#options.listen;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#server.on('error', (error) => this.#logger.warn({ err: error }, 'router server error'));
    const address = this.#server.address();
    const boundPort = typeof address === 'object' && address !== null ? address.port : port;
    return { url: `http://${displayHost(host)}:${boundPort}`, port: boundPort, close: () => this.#close() };
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    const receivedAt = Date.now();
    if (this.#logger.isLevelEnabled('debug')) this.#logWhenDone(req, res, receivedAt);
    try {
      const resolved = this.#resolve(req);
      if ('status' in resolved) {
        writeRouterError(res, resolved);
        return;
      }
      addForwardedHeaders(req, receivedAt);
      if (req.headers.upgrade !== undefined) dropUpgrade(req);
      const exchange: Exchange = { req, res, ...resolved, attempts: 0, body: bodyKind(req), done: false };
      this.#attempt(exchange);
    } catch (error) {
      this.#logger.warn({ err: error, host: req.headers.host, url: req.url }, 'router failed to handle a request');
      writeRouterError(res, routerFailure());
    }
  }

  /** The instances a request may go to, and where to start, or the router's answer when there are none. */
  #resolve(req: IncomingMessage): { instances: readonly Instance[]; first: number } | RouterError {
    const hostHeader = req.headers.host;
    if (hostHeader === undefined || hostHeader === '') return emptyHost();
    const targets = this.#options.table.lookup(hostWithoutPort(hostHeader), req.url ?? '/');
    // A route without a running instance answers as CF does for a stopped app: Diego unregisters the
    // instances, gorouter prunes the empty route, and the user sees 404 unknown_route.
    if (targets === undefined || targets.length === 0) return unknownRoute(hostHeader);
    const instances = this.#instancesOf(targets);
    if (instances.length === 0) return unknownRoute(hostHeader);
    return { instances, first: this.#nextPosition(targets, instances.length) };
  }

  #instancesOf(targets: readonly RouteTarget[]): Instance[] {
    const instances: Instance[] = [];
    for (const target of targets) {
      for (const endpoint of this.#options.endpoints(target.appGuid, target.processType)) {
        instances.push({ appGuid: target.appGuid, index: endpoint.index, host: endpoint.host, port: endpoint.port });
      }
    }
    return instances;
  }

  #nextPosition(targets: readonly RouteTarget[], count: number): number {
    const key =
      targets.length === 1
        ? `${targets[0]!.appGuid}\n${targets[0]!.processType}`
        : targets.map((t) => `${t.appGuid}\n${t.processType}`).join('\n\n');
    const position = this.#positions.get(key) ?? 0;
    if (this.#positions.size > 10_000) this.#positions.clear();
    this.#positions.set(key, (position + 1) % 1_000_000_007);
    return position % count;
  }

  #attempt(exchange: Exchange): void {
    const instance = exchange.instances[(exchange.first + exchange.attempts) % exchange.instances.length]!;
    exchange.attempts++;
    const attempt = exchange.attempts;
    const proxyOptions: ServerOptions = {
      target: { protocol: 'http:', host: instance.host, port: instance.port },
      // The connection to the instance is kept for the next request whatever the client asked of its own.
      headers: { ...instanceHeaders(instance), connection: 'keep-alive' },
      agent: this.#agent,
    };
    const buffer = this.#bodyFor(exchange);
    if (buffer !== undefined) proxyOptions.buffer = buffer;
    this.#proxy.web(exchange.req, exchange.res, proxyOptions, (error) => this.#attemptFailed(exchange, attempt, instance, error));
  }

  /**
   * What the attempt sends as the body. A body is read from the client only once the instance has
   * accepted the connection, so a refused dial leaves it unread for a retry; a retry of a request
   * without a body sends an empty one (the client's request stream has ended already).
   */
  #bodyFor(exchange: Exchange): Readable | undefined {
    if (exchange.body === 'none') return exchange.attempts > 1 ? Readable.from([]) : undefined;
    if (exchange.body === 'direct') return undefined;
    exchange.deferred = new DeferredBody(exchange.req);
    return exchange.deferred;
  }

  #attemptFailed(exchange: Exchange, attempt: number, instance: Instance, error: Error): void {
    if (exchange.done || attempt !== exchange.attempts) return;
    const address = `${instance.host}:${instance.port}`;
    if (clientGone(exchange)) {
      exchange.done = true;
      exchange.res.destroy();
      return;
    }
    const retry = this.#mayRetry(exchange, error);
    this.#logger.warn(
      {
        err: error,
        host: exchange.req.headers.host,
        url: exchange.req.url,
        app: instance.appGuid,
        instance: instance.index,
        address,
        attempt,
        retry,
      },
      'app instance failed to handle a request',
    );
    if (retry) {
      this.#attempt(exchange);
      return;
    }
    exchange.done = true;
    writeRouterError(exchange.res, endpointFailure(describeBackendFailure(error, address)));
  }

  #mayRetry(exchange: Exchange, error: NodeJS.ErrnoException): boolean {
    if (exchange.res.headersSent || exchange.attempts >= Math.min(maxAttempts, exchange.instances.length)) return false;
    if (exchange.body === 'direct') return false;
    if (exchange.body === 'deferred') return exchange.deferred?.started === false;
    return dialFailures.has(error.code ?? '') || replayableMethods.has(exchange.req.method ?? '');
  }

  #proxyRequestStarted(proxyOptions: ServerOptions, socket: Socket): void {
    const body = proxyOptions.buffer;
    if (body instanceof DeferredBody) body.startOnceConnected(socket);
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#track(socket);
    socket.on('error', () => socket.destroy());
    try {
      const resolved = this.#resolve(req);
      if ('status' in resolved) {
        writeRouterErrorToSocket(socket, resolved);
        return;
      }
      addForwardedHeaders(req, Date.now());
      const instance = resolved.instances[resolved.first]!;
      const address = `${instance.host}:${instance.port}`;
      this.#logger.debug(
        { host: req.headers.host, url: req.url, app: instance.appGuid, instance: instance.index },
        'routing a WebSocket upgrade',
      );
      const proxyOptions: ServerOptions = {
        target: { protocol: 'http:', host: instance.host, port: instance.port },
        headers: instanceHeaders(instance),
      };
      this.#proxy.ws(req, socket, head, proxyOptions, (error) => this.#upgradeFailed(socket, error, address));
    } catch (error) {
      this.#logger.warn({ err: error, host: req.headers.host, url: req.url }, 'router failed to handle an upgrade');
      writeRouterErrorToSocket(socket, routerFailure());
    }
  }

  #upgradeStarted(proxyReq: ClientRequest, socket: Duplex): void {
    this.#pendingUpgrades.add(proxyReq);
    proxyReq.once('upgrade', () => this.#upgraded.add(socket));
    proxyReq.once('close', () => this.#pendingUpgrades.delete(proxyReq));
  }

  #upgradeFailed(socket: Duplex, error: Error, address: string): void {
    if (this.#upgraded.has(socket)) {
      this.#logger.debug({ err: error, address }, 'a proxied WebSocket connection ended with an error');
      socket.destroy();
      return;
    }
    this.#logger.warn({ err: error, address }, 'app instance failed to handle a WebSocket upgrade');
    writeRouterErrorToSocket(socket, endpointFailure(describeBackendFailure(error, address)));
  }

  #unhandledProxyError(error: Error, resOrSocket: unknown): void {
    this.#logger.debug({ err: error }, 'proxy connection error');
    if (resOrSocket instanceof ServerResponse) writeRouterError(resOrSocket as ServerResponse<IncomingMessage>, routerFailure());
    else if (resOrSocket !== null && typeof resOrSocket === 'object' && 'destroy' in resOrSocket) (resOrSocket as Duplex).destroy();
  }

  #track(socket: Duplex): void {
    this.#rawSockets.add(socket);
    socket.once('close', () => this.#rawSockets.delete(socket));
  }

  #logWhenDone(req: IncomingMessage, res: ServerResponse, receivedAt: number): void {
    res.once('close', () =>
      this.#logger.debug(
        {
          method: req.method,
          host: req.headers.host,
          url: req.url,
          status: res.statusCode,
          completed: res.writableFinished,
          ms: Date.now() - receivedAt,
        },
        'routed a request',
      ),
    );
  }

  async #close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    for (const proxyReq of this.#pendingUpgrades) proxyReq.destroy();
    for (const socket of this.#rawSockets) socket.destroy();
    this.#agent.destroy();
    await closed;
  }
}

/**
 * A request body that starts flowing from the client only when the connection to the instance is up:
 * until then a failed dial has consumed nothing and the request can go to another instance.
 */
class DeferredBody extends PassThrough {
  readonly #req: IncomingMessage;
  #started = false;

  constructor(req: IncomingMessage) {
    super();
    this.#req = req;
  }

  get started(): boolean {
    return this.#started;
  }

  startOnceConnected(socket: Socket): void {
    if (socket.connecting) socket.once('connect', () => this.#start());
    else this.#start();
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#req.pipe(this);
  }
}

/** `none`: no body; `deferred`: a body a retry may still send; `direct`: a body that flows at once (`Expect: 100-continue`). */
type BodyKind = 'none' | 'deferred' | 'direct';

function bodyKind(req: IncomingMessage): BodyKind {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return 'none';
  // http-proxy-3 announces no proxied request that expects a 100 Continue, so its body cannot wait for the dial.
  return req.headers.expect === undefined ? 'deferred' : 'direct';
}

/**
 * An instance's answer is on its way: it goes to the client without the instance's hop-by-hop
 * `Connection` and `Keep-Alive` headers (as Go's reverse proxy drops them): the client's connection
 * follows the client's wish and the router's timeouts. A connection the instance drops midway cuts the
 * client off.
 */
function answerStarted(proxyRes: IncomingMessage, res: ServerResponse): void {
  delete proxyRes.headers['keep-alive'];
  delete proxyRes.headers.connection;
  proxyRes.on('error', () => res.destroy());
}

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.headers.upgrade?.toLowerCase() === 'websocket';
}

/** An upgrade the router does not take is not asked of the instance either (Go's reverse proxy drops these hop-by-hop headers). */
function dropUpgrade(req: IncomingMessage): void {
  delete req.headers.upgrade;
  delete req.headers.connection;
}

function clientGone(exchange: Exchange): boolean {
  return exchange.req.socket.destroyed || exchange.res.destroyed;
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
