import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type Koa from 'koa';
import type { Config } from './config/schema.ts';

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

/**
 * A request Node's HTTP parser refuses (headers over its 16 KiB limit, a malformed request line) never
 * reaches Koa, and Node would answer it with a bare 400 or 431 and no body. It gets CF's error envelope
 * instead, then the connection closes (the parser cannot go on reading it).
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const responding = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || responding?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, reason, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request headers are too large.']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request took too long to arrive.']
        : [400, 'Bad Request', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ errors: [{ code: 10004, title: 'CF-InvalidRequest', detail }] });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
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
