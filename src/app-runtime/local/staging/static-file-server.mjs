// The web process of apps staged by the local staticfile_buildpack: a small static file server, in
// plain JavaScript (the stager copies it into the droplet, where nothing strips types), run by the
// project's Node. Usage: node static-file-server.mjs [root]; it serves `root` (default: the current
// directory, the app's) on $PORT (default 8080): index.html for a directory, 404 for what is missing
// or hidden (a name starting with "."), 405 for methods other than GET and HEAD.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';

/* global console */

const types = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
};

const root = await realpath(resolve(process.argv[2] ?? '.'));
const port = Number(process.env.PORT ?? 8080);

/**
 * The file a URL path names under `root`, or a status when there is none to serve.
 * @param {string} urlPath
 * @returns {Promise<{ status: 200, path: string, size: number } | { status: 301, location: string } | { status: 400 | 404 }>}
 */
async function fileFor(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { status: 400 };
  }
  if (decoded.includes('\0')) return { status: 400 };
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment.startsWith('.') || segment.includes('\\'))) return { status: 404 };
  let path = join(root, ...segments);
  let found = await stat(path).catch(() => undefined);
  if (found?.isDirectory()) {
    if (!urlPath.endsWith('/')) return { status: 301, location: `${urlPath}/` };
    path = join(path, 'index.html');
    found = await stat(path).catch(() => undefined);
  }
  if (!found?.isFile()) return { status: 404 };
  // A link of the app may point anywhere; only what lies inside the root is served.
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined || !real.startsWith(root + sep)) return { status: 404 };
  return { status: 200, path: real, size: found.size };
}

/**
 * Answers one request; resolves with the status it answered.
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @returns {Promise<number>}
 */
async function handle(request, response) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('405 Method Not Allowed\n');
    return 405;
  }
  const found = await fileFor(url.pathname);
  if (found.status === 301) {
    response.writeHead(301, { location: found.location + url.search }).end();
  } else if (found.status !== 200) {
    const text = found.status === 404 ? '404 Not Found\n' : '400 Bad Request\n';
    response.writeHead(found.status, { 'content-type': 'text/plain; charset=utf-8' }).end(request.method === 'HEAD' ? undefined : text);
  } else {
    /** @type {string} */
    const type = types[/** @type {keyof typeof types} */ (extname(found.path).toLowerCase())] ?? 'application/octet-stream';
    response.writeHead(200, { 'content-type': type, 'content-length': found.size });
    if (request.method === 'HEAD') response.end();
    else
      createReadStream(found.path)
        .on('error', () => response.destroy())
        .pipe(response);
  }
  return found.status;
}

const server = createServer((request, response) => {
  handle(request, response).then(
    (status) => console.log(`${request.method} ${request.url} ${status}`),
    (error) => {
      console.error(`${request.method} ${request.url} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    },
  );
});

server.listen(port, () => console.log(`Static file server serving ${root} on port ${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
