import type { Socket } from 'node:net';

/**
 * A request Node's HTTP parser refuses (headers over its 16 KiB limit, a malformed request line) never
 * reaches Koa, and Node would answer it with a bare 400 or 431 and no body. It gets CF's error envelope
 * instead, then the connection closes (the parser cannot go on reading it).
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
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
