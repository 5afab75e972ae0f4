import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { WebSocketServer } from 'ws';

/** What an echoing instance saw of a request. */
export type Echo = { instance: string; method: string; url: string; headers: IncomingHttpHeaders; body: string };

/** A real HTTP server standing in for an app instance: it answers every request with what it saw, as JSON. */
export type Backend = { name: string; port: number; hits: number; close(): Promise<void> };

export async function startEchoBackend(name: string, options: { webSockets?: boolean } = {}): Promise<Backend> {
  const backend: Backend = { name, port: 0, hits: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    backend.hits++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const echo: Echo = {
        instance: name,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(echo));
    });
  });
  // Longer than the router's 5 s, so that a test can tell whose Keep-Alive hint a client gets.
  server.keepAliveTimeout = 7_000;
  const sockets = options.webSockets === true ? new WebSocketServer({ server }) : undefined;
  sockets?.on('connection', (socket) =>
    socket.on('message', (data, binary) => socket.send(binary ? data : `${name}: ${(data as Buffer).toString()}`)),
  );
  backend.port = await listen(server);
  backend.close = async () => {
    sockets?.clients.forEach((client) => client.terminate());
    sockets?.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return backend;
}

/** An instance that takes the connection and resets it as soon as a request arrives. */
export async function startResettingBackend(): Promise<{ port: number; hits: number; close(): Promise<void> }> {
  const backend: { port: number; hits: number; close(): Promise<void> } = { port: 0, hits: 0, close: async () => undefined };
  const server = createTcpServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () => {
      backend.hits++;
      socket.resetAndDestroy();
    });
  });
  backend.port = await listen(server);
  backend.close = () => closeTcp(server);
  return backend;
}

/** An instance that takes the request and never answers, until closed. */
export async function startSilentBackend(): Promise<{ port: number; requests: number; close(): Promise<void> }> {
  const backend: { port: number; requests: number; close(): Promise<void> } = { port: 0, requests: 0, close: async () => undefined };
  const server = createServer(() => backend.requests++);
  backend.port = await listen(server);
  backend.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return backend;
}

/** An instance that starts an answer (headers and part of the body) and then drops the connection. */
export async function startDroppingBackend(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('only part of it', () => res.socket?.destroy());
  });
  const port = await listen(server);
  return {
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port nothing listens on (bound, then freed). */
export async function refusedPort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await closeTcp(server);
  return port;
}

export type Answer = { status: number; headers: IncomingHttpHeaders; body: string };

/** One request to the router with the Host header given (a fresh connection each time). */
export function send(
  port: number,
  options: { host: string; path?: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        agent: false,
        headers: { ...options.headers, host: options.host },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The echo of an answer that came from an instance. */
export function echoOf(answer: Answer): Echo {
  if (answer.status !== 200) throw new Error(`expected an instance's answer, got ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as Echo;
}

/** Writes raw bytes to the router and reads until it closes the connection (or, with `endAfterMs`, until this side ends it). */
export async function sendRaw(port: number, text: string, options: { endAfterMs?: number } = {}): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'connect');
  socket.write(text);
  const ending = options.endAfterMs === undefined ? undefined : setTimeout(() => socket.end(), options.endAfterMs);
  await once(socket, 'close');
  clearTimeout(ending);
  return Buffer.concat(chunks).toString();
}

async function listen(server: Server | TcpServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function closeTcp(server: TcpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
