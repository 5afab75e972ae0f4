import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type Koa from 'koa';
import type { Config } from './config/schema.ts';
import { answerClientError } from './http/edge/parser-refusals.ts';

/** An HTTP(S) server that can stop gracefully: no new connections, in-flight requests finish. */
export type RunningServer = { server: Server; url: string; stop: () => Promise<void> };

/** Serves the app on the configured address, over TLS when a certificate is configured. */
export async function startServer(app: Koa, config: Config): Promise<RunningServer> {
  const handle = app.callback();
  const callback = (request: IncomingMessage, response: ServerResponse) => void handle(request, response);
  // Node's modules are taken as they are (getBuiltinModule), not through an ESM import: importing
  // node:http reads every export, and its WebSocket getters load Node's fetch implementation (undici),
  // which costs the start-up about 70 ms and 14 MB. node:https (TLS) loads only when TLS is configured.
  const server = config.tls
    ? process
        .getBuiltinModule('node:https')
        .createServer(
          { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile), minVersion: 'TLSv1.2' },
          callback,
        )
    : process.getBuiltinModule('node:http').createServer(callback);
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
  const stop = () => stopGracefully(server, sockets, config.shutdownTimeoutSeconds * 1000);
  return { server, url, stop };
}

function stopGracefully(server: Server, sockets: Set<Socket>, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, timeoutMs);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
