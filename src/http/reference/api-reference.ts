import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Context } from 'koa';
import { unknownRequest } from '../../errors/api-error.ts';

/** Where the reference page is served; its bundle and the document are served under it. */
export const referencePath = '/api-docs';

/** The document as JSON, next to the page. */
export const specPath = `${referencePath}/openapi.json`;

/**
 * The one place the page's assets are named by what they hold: Redoc's bundle under a name carrying its
 * hash, so it can be cached as immutable, and a new Redoc (or a new rewrite of it) is a new name.
 */
const bundleName = (hash: string): string => `redoc-${hash}.js`;

/**
 * The page's Content-Security-Policy: everything from this origin only. Redoc styles itself with
 * styled-components, which writes <style> elements at run time (their text is generated, so no hash can
 * allow them): they carry the page's nonce, which a new response gets each time, and Redoc's bundle takes
 * from its own <script> element (see `keepInOrigin`). Icons in Redoc's styles are `data:` images, and its
 * search index runs in a worker made from a `blob:` of the bundle's own text; neither leaves the origin.
 */
export function pageContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    'worker-src blob:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The bundle's and the document's: they are not documents to render, so they may load nothing. */
const assetContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

type Asset = { type: string; identity: Buffer; gzipped: Buffer; etag: string; cacheControl: string };

type Assets = { page: (nonce: string) => string; spec: Asset; bundle: Asset; bundleName: string };

export type ApiReferenceOptions = {
  /** The bundled OpenAPI document the server routes by (`generated/openapi.json`); served as it is. */
  documentUrl: URL;
  /** The URL clients use; the page names its bundle and document under its path. */
  externalUrl: string;
  /** Redoc's standalone bundle; the installed `redoc` package's by default. */
  bundleFile?: string;
};

/**
 * The API reference: a page rendering the server's own OpenAPI document with Redoc, Redoc's standalone
 * bundle served from the installed package, and the document as JSON. Read on the first request under
 * the path (the server's start-up reads none of it), then kept. GET and HEAD only; anything else under
 * the path, and any other name under it, is CF's 404, as for any unknown request. No authentication:
 * the document tells nothing that credentials guard (CF's own `/` and `/v3/info` answer anyone too).
 *
 * Wraps the route function the edge calls, so correlation ids, the error envelope and the request log
 * apply to it as to any other request.
 */
export function withApiReference(route: (ctx: Context) => Promise<void>, options: ApiReferenceOptions): (ctx: Context) => Promise<void> {
  let assets: Promise<Assets> | undefined;
  const load = () => {
    assets ??= loadAssets(options);
    // A failed read (a missing bundle) is tried again on the next request rather than kept.
    assets.catch(() => (assets = undefined));
    return assets;
  };
  return async (ctx) => {
    const path = ctx.path;
    if (path !== referencePath && !path.startsWith(`${referencePath}/`)) return route(ctx);
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') throw unknownRequest();
    const name = trimSlashes(path.slice(referencePath.length));
    const loaded = await load();
    if (name === '') servePage(ctx, loaded.page);
    else if (name === 'openapi.json') serveAsset(ctx, loaded.spec);
    else if (name === loaded.bundleName) serveAsset(ctx, loaded.bundle);
    else throw unknownRequest();
  };
}

function trimSlashes(name: string): string {
  let start = 0;
  let end = name.length;
  while (start < end && name[start] === '/') start += 1;
  while (end > start && name[end - 1] === '/') end -= 1;
  return name.slice(start, end);
}

/** The page is a few hundred bytes with a new nonce each time: never stored, so never stale. */
function servePage(ctx: Context, page: (nonce: string) => string): void {
  const nonce = randomBytes(18).toString('base64');
  ctx.set('Content-Security-Policy', pageContentSecurityPolicy(nonce));
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cache-Control', 'no-store');
  ctx.status = 200;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = page(nonce);
}

/** The bundle and the document: validated by ETag (304), gzipped for clients that take it. */
function serveAsset(ctx: Context, asset: Asset): void {
  ctx.set('Content-Security-Policy', assetContentSecurityPolicy);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Cache-Control', asset.cacheControl);
  ctx.set('Vary', 'Accept-Encoding');
  const gzipped = ctx.acceptsEncodings('gzip', 'identity') === 'gzip';
  ctx.set('ETag', gzipped ? `"${asset.etag}-gzip"` : `"${asset.etag}"`);
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.type = asset.type;
  if (gzipped) ctx.set('Content-Encoding', 'gzip');
  // Koa answers HEAD with these headers and the length, without the body.
  ctx.body = gzipped ? asset.gzipped : asset.identity;
}

/** Node's zlib, taken when the reference is first asked for: the server's start-up does not load it. */
function compress(bytes: Buffer): Promise<Buffer> {
  const zlib = process.getBuiltinModule('node:zlib');
  return new Promise((resolve, reject) => zlib.gzip(bytes, (error, result) => (error ? reject(error) : resolve(result))));
}

async function loadAssets(options: ApiReferenceOptions): Promise<Assets> {
  const bundleFile =
    options.bundleFile ??
    process
      .getBuiltinModule('node:module')
      .createRequire(import.meta.url)
      .resolve('redoc/bundles/redoc.standalone.js');
  const [documentBytes, bundleText] = await Promise.all([readFile(options.documentUrl), readFile(bundleFile, 'utf8')]);
  const title = documentTitle(documentBytes);
  const bundleBytes = Buffer.from(keepInOrigin(bundleText));
  const bundleHash = hashOf(bundleBytes).slice(0, 16);
  const prefix = new URL(options.externalUrl).pathname.replace(/\/+$/, '');
  const name = bundleName(bundleHash);
  const [specGzip, bundleGzip] = await Promise.all([compress(documentBytes), compress(bundleBytes)]);
  const specUrl = `${prefix}${specPath}`;
  const bundleUrl = `${prefix}${referencePath}/${name}`;
  return {
    page: (nonce) => page({ title, specUrl, bundleUrl, nonce }),
    spec: {
      type: 'application/json; charset=utf-8',
      identity: documentBytes,
      gzipped: specGzip,
      etag: hashOf(documentBytes),
      cacheControl: 'no-cache',
    },
    bundle: {
      type: 'text/javascript; charset=utf-8',
      identity: bundleBytes,
      gzipped: bundleGzip,
      etag: bundleHash,
      cacheControl: 'public, max-age=31536000, immutable',
    },
    bundleName: name,
  };
}

function hashOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

function documentTitle(documentBytes: Buffer): string {
  const document = JSON.parse(documentBytes.toString('utf8')) as { info?: { title?: unknown } };
  return typeof document.info?.title === 'string' ? document.info.title : 'API';
}

/**
 * Three rewrites of Redoc's bundle, so that it runs under the page's policy and loads nothing from
 * elsewhere. Its webpack runtime takes the nonce for the <style> elements it and styled-components write
 * from the <script> element running it (webpack's own `__webpack_nonce__`, otherwise unset until Redoc
 * reads its options, after the first styles are written). The sidebar's "API docs by Redocly" credit
 * loses the logo it would show from Redocly's CDN (its text and link stay; an empty `src` loads nothing
 * and the component hides the image on its error). And the source map comment goes, as this server does
 * not serve the map. Each text must be found exactly once, so a Redoc upgrade that changes one fails
 * here, and in the tests, rather than serving a page that loads from a CDN.
 */
export function keepInOrigin(bundle: string): string {
  const rewrites: [string, string][] = [
    ['r.nc=void 0', 'r.nc=document.currentScript&&document.currentScript.nonce||void 0'],
    ['src:"https://cdn.redoc.ly/redoc/logo-mini.svg"', 'src:""'],
    ['\n//# sourceMappingURL=redoc.standalone.js.map', '\n'],
  ];
  let text = bundle;
  for (const [from, to] of rewrites) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`Redoc's bundle has ${count} occurrences of ${JSON.stringify(from)} where 1 was expected`);
    text = text.replace(from, to);
  }
  return text;
}

const fontStack = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const monospaceStack = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace';

/**
 * Redoc's theme with fonts the reader's system has: Redoc's defaults name Roboto and Montserrat, which
 * its own HTML template loads from Google Fonts; this page loads no fonts at all.
 */
const theme = {
  typography: {
    fontFamily: fontStack,
    headings: { fontFamily: fontStack },
    code: { fontFamily: monospaceStack },
  },
};

function page(parts: { title: string; specUrl: string; bundleUrl: string; nonce: string }): string {
  // Redoc's standalone bundle renders the <redoc> element it finds when it runs, so the script follows it.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(parts.title)} — API reference</title>
<link rel="icon" href="data:,">
<style nonce="${parts.nonce}">body { margin: 0; }</style>
</head>
<body>
<redoc spec-url="${escapeHtml(parts.specUrl)}" theme="${escapeHtml(JSON.stringify(theme))}"></redoc>
<script nonce="${parts.nonce}" src="${escapeHtml(parts.bundleUrl)}"></script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
