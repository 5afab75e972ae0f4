import { readFile } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeader, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type Koa from 'koa';
import type { Config } from './config/schema.ts';
import { answerClientError } from './http/edge/parser-refusals.ts';
import type { Logger } from './logger.ts';
import { Lifecycle } from './observability/lifecycle.ts';

/**
 * An HTTP(S) server that can stop gracefully. `stop()` drains: it keeps serving for
 * `shutdownDelaySeconds` (while load balancers notice `/readyz` failing), then stops accepting, lets the
 * requests in flight finish and closes idle connections; after `shutdownTimeoutSeconds` more it
 * destroys whatever is still open.
 */
export type RunningServer = { server: Server; url: string; stop: () => Promise<void> };

export type ServerOptions = {
  /** Shared with `/readyz`: `stop()` starts draining it (if the caller has not already). */
  lifecycle?: Lifecycle;
  /** Where the shutdown's steps are logged; none when not given. */
  logger?: Logger;
};

/** How often, once the server no longer accepts, connections that became idle are closed. */
const idleSweepMs = 100;

/** Serves the app on the configured address, over TLS when a certificate is configured. */
export async function startServer(app: Koa, config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const lifecycle = options.lifecycle ?? new Lifecycle();
  const handle = app.callback();
  const callback = (request: IncomingMessage, response: ServerResponse) => void handle(request, response);
  const ServerResponse = drainAwareResponse(process.getBuiltinModule('node:http').ServerResponse, lifecycle);
  // Node's modules are taken as they are (getBuiltinModule), not through an ESM import: importing
  // node:http reads every export, and its WebSocket getters load Node's fetch implementation (undici),
  // which costs the start-up about 70 ms and 14 MB. node:https (TLS) loads only when TLS is configured.
  const server = config.tls
    ? process
        .getBuiltinModule('node:https')
        .createServer(
          { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile), minVersion: 'TLSv1.2', ServerResponse },
          callback,
        )
    : process.getBuiltinModule('node:http').createServer({ ServerResponse }, callback);
  server.keepAliveTimeout = 65_000;
  server.on('clientError', answerClientError);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.listen.port;
  const url = `${config.tls ? 'https' : 'http'}://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= drain(server, sockets, {
      lifecycle,
      logger: options.logger,
      delayMs: config.shutdownDelaySeconds * 1000,
      timeoutMs: config.shutdownTimeoutSeconds * 1000,
    }));
  return { server, url, stop };
}

/**
 * Node's ServerResponse, except that once the process drains every response that has not written its
 * head yet says `Connection: close` and its connection closes after it: a keep-alive client then opens
 * its next connection (through the load balancer, to another replica) instead of sending another
 * request on this one. Ending connections this way, after a response, never races a request the client
 * is sending, which closing an idle connection under it can. Responses that began before still get it,
 * as long as their head was not written yet (a long request finishing during the drain).
 */
function drainAwareResponse(Base: typeof ServerResponse, lifecycle: Lifecycle): typeof ServerResponse {
  class DrainAwareResponse extends Base {
    override writeHead(
      statusCode: number,
      reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
      headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
    ): this {
      if (lifecycle.draining) this.shouldKeepAlive = false;
      return super.writeHead(statusCode, reason as string, headers);
    }
  }
  // Node constructs it with each request; its generic signature is Node's own ServerResponse's.
  return DrainAwareResponse as unknown as typeof ServerResponse;
}

type DrainOptions = { lifecycle: Lifecycle; logger: Logger | undefined; delayMs: number; timeoutMs: number };

/**
 * The shutdown's three steps: serve on (every response closing its connection) for the delay; stop
 * accepting and close idle connections, letting the requests in flight finish (each closes its
 * connection when done); once the timeout has passed, destroy what is left.
 */
async function drain(server: Server, sockets: Set<Socket>, options: DrainOptions): Promise<void> {
  const { lifecycle, logger, delayMs, timeoutMs } = options;
  lifecycle.startDraining();
  if (delayMs > 0) {
    logger?.info(
      { shutdownDelaySeconds: delayMs / 1000, openConnections: sockets.size },
      'draining: still serving, /readyz failing, responses close their connections',
    );
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  logger?.info(
    { shutdownTimeoutSeconds: timeoutMs / 1000, openConnections: sockets.size },
    'no longer accepting connections; waiting for requests in flight',
  );
  await new Promise<void>((resolve) => {
    // A response whose head went out before the drain began kept its connection alive: once it is
    // done, that connection is idle, and is closed here (nothing routes requests to it any more).
    const sweep = setInterval(() => server.closeIdleConnections(), idleSweepMs);
    const deadline = setTimeout(() => {
      logger?.warn({ openConnections: sockets.size }, 'shutdown timeout passed: destroying the connections still open');
      for (const socket of sockets) socket.destroy();
    }, timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      logger?.info('every connection closed');
      resolve();
    });
  });
}
