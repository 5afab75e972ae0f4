import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { documentUrl } from '../../src/http/openapi-document.ts';
import { keepInOrigin, referencePath, specPath } from '../../src/http/reference/api-reference.ts';
import { forEachBackend } from './tenancy/backends.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

type RawResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/**
 * A request as a browser makes it, by node:http: fetch would add its own Accept-Encoding and undo the
 * gzip, and these responses (a page, a script) are not operations of the document, so the contract
 * checker's `server.request` is only for the CF errors below.
 */
function raw(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const installedBundle = () => readFile(createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js'), 'utf8');

/** The bundle's path as the page names it. */
function bundlePathOf(html: string): string {
  const found = /<script nonce="[^"]+" src="([^"]+)"><\/script>/.exec(html);
  if (!found) throw new Error(`no bundle script in the page:\n${html}`);
  return found[1]!;
}

function expectCfNotFound(response: { status: number; body: unknown }): void {
  expect(response.status).to.equal(404);
  expect(response.body).to.deep.equal({ errors: [{ code: 10000, title: 'CF-NotFound', detail: 'Unknown request' }] });
}

forEachBackend('The API reference page', (cf) => {
  const url = (path: string) => `${cf.server.url}${path}`;

  it('serves the page without authentication, as HTML naming the bundle and the document on this server', async () => {
    const response = await raw(url(referencePath));
    expect(response.status).to.equal(200);
    expect(response.headers['content-type']).to.equal('text/html; charset=utf-8');
    expect(response.headers['x-correlation-id']).to.be.a('string');
    const html = response.body.toString('utf8');
    expect(html).to.match(/^<!doctype html>/);
    expect(html).to.include('<title>CF V3 API on Kubernetes — API reference</title>');
    expect(html).to.include(`<redoc spec-url="${specPath}"`);
    expect(bundlePathOf(html)).to.match(/^\/api-docs\/redoc-[A-Za-z0-9_-]{16}\.js$/);
    // Nothing on the page names another origin: no CDN, no fonts.
    expect(html).not.to.match(/https?:\/\//);
    expect(html).not.to.match(/\/\/[a-z]/i);
  });

  it('ignores any Authorization header, good or bad, and takes a trailing slash', async () => {
    for (const headers of [{ Authorization: 'Bearer not-a-token' }, { Authorization: 'ClientCert !!' }, cf.admin]) {
      const response = await raw(url(`${referencePath}/`), { headers });
      expect(response.status, JSON.stringify(headers)).to.equal(200);
      expect(response.headers['content-type']).to.equal('text/html; charset=utf-8');
    }
  });

  it("sends a policy that allows only this origin, with a new nonce on each response that the page's script and style carry", async () => {
    const [first, second] = [await raw(url(referencePath)), await raw(url(referencePath))];
    const nonces = [first, second].map((response) => {
      const policy = String(response.headers['content-security-policy']);
      const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(policy)?.[1];
      expect(nonce, policy).to.be.a('string');
      expect(policy.split('; ')).to.include.members([
        "default-src 'none'",
        "script-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        'worker-src blob:',
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ]);
      expect(policy).not.to.match(/https?:|\*|unsafe/);
      const html = response.body.toString('utf8');
      expect(html).to.include(`<script nonce="${nonce}" src=`);
      expect(html).to.include(`<style nonce="${nonce}">`);
      expect(response.headers['cache-control']).to.equal('no-store');
      expect(response.headers['x-content-type-options']).to.equal('nosniff');
      return nonce;
    });
    expect(nonces[0]).not.to.equal(nonces[1]);
  });

  it('serves the document as JSON, byte for byte the bundled document the server routes by', async () => {
    const response = await raw(url(specPath));
    expect(response.status).to.equal(200);
    expect(response.headers['content-type']).to.equal('application/json; charset=utf-8');
    expect(response.body.equals(await readFile(documentUrl))).to.equal(true);
    const document = JSON.parse(response.body.toString('utf8')) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).to.equal('3.1.0');
    expect(document.paths).to.have.property('/v3/apps');
    expect(response.headers['cache-control']).to.equal('no-cache');
    expect(response.headers['etag']).to.match(/^"[A-Za-z0-9_-]+"$/);
  });

  it("serves Redoc's bundle, rewritten to load nothing from elsewhere, as an immutable script", async () => {
    const page = (await raw(url(referencePath))).body.toString('utf8');
    const response = await raw(url(bundlePathOf(page)));
    expect(response.status).to.equal(200);
    expect(response.headers['content-type']).to.equal('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    const script = response.body.toString('utf8');
    expect(script).to.equal(keepInOrigin(await installedBundle()));
    expect(script).not.to.include('cdn.redoc.ly');
    expect(script).not.to.include('sourceMappingURL=redoc.standalone.js.map');
    expect(script).to.include('r.nc=document.currentScript&&document.currentScript.nonce');
  });

  it('answers a matching If-None-Match with 304 and no body, for the document and the bundle', async () => {
    const page = (await raw(url(referencePath))).body.toString('utf8');
    for (const path of [specPath, bundlePathOf(page)]) {
      const first = await raw(url(path));
      const etag = String(first.headers['etag']);
      const again = await raw(url(path), { headers: { 'If-None-Match': etag } });
      expect(again.status, path).to.equal(304);
      expect(again.body.length).to.equal(0);
      expect(again.headers['etag']).to.equal(etag);
      const stale = await raw(url(path), { headers: { 'If-None-Match': '"something-else"' } });
      expect(stale.status, path).to.equal(200);
      expect(stale.body.equals(first.body)).to.equal(true);
    }
  });

  it('gzips the document and the bundle for a client that accepts it, with their own ETags', async () => {
    const page = (await raw(url(referencePath))).body.toString('utf8');
    for (const path of [specPath, bundlePathOf(page)]) {
      const plain = await raw(url(path));
      const gzipped = await raw(url(path), { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
      expect(gzipped.status).to.equal(200);
      expect(gzipped.headers['content-encoding']).to.equal('gzip');
      expect(gzipped.headers['vary']).to.equal('Accept-Encoding');
      expect(gzipped.body.length).to.be.below(plain.body.length / 2);
      expect(gunzipSync(gzipped.body).equals(plain.body)).to.equal(true);
      expect(gzipped.headers['etag']).not.to.equal(plain.headers['etag']);
      expect(plain.headers['content-encoding']).to.equal(undefined);
    }
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const page = (await raw(url(referencePath))).body.toString('utf8');
    for (const path of [referencePath, specPath, bundlePathOf(page)]) {
      const get = await raw(url(path));
      const head = await raw(url(path), { method: 'HEAD' });
      expect(head.status, path).to.equal(200);
      expect(head.body.length, path).to.equal(0);
      expect(head.headers['content-type']).to.equal(get.headers['content-type']);
      expect(head.headers['content-length']).to.equal(String(get.body.length));
      if (path !== referencePath) expect(head.headers['etag']).to.equal(get.headers['etag']);
    }
  });

  it("answers other methods with CF's 404, as for any unknown request", async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      for (const path of [referencePath, specPath]) {
        const response = await cf.server.request(path, { method, headers: { 'Content-Type': 'application/json' }, body: '{}' });
        expectCfNotFound(response);
      }
    }
  });

  it("answers any other name under the path with CF's 404", async () => {
    for (const path of [
      `${referencePath}/nothing`,
      `${referencePath}/redoc.standalone.js`,
      `${referencePath}/redoc.standalone.js.map`,
      `${referencePath}/redoc-AAAAAAAAAAAAAAAA.js`,
      `${specPath}/paths`,
      `${referencePath}x`,
      '/api-doc',
    ]) {
      const response = await cf.server.request(path);
      expect(response.status, path).to.equal(404);
      expectCfNotFound(response);
    }
  });

  it('leaves the API as it was: its operations still authenticate', async () => {
    const response = await cf.server.request('/v3/apps');
    expect(response.status).to.equal(401);
    expect((await cf.server.request('/v3/apps', { headers: cf.admin })).status).to.equal(200);
  });
});

describe('The API reference page behind a path prefix', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ config: { externalUrl: 'https://cf.example.test/cloudfoundry/' } });
  });
  after(() => server.stop());

  it('names its bundle and document under the external URL path, as every link of the API is', async () => {
    const html = (await raw(`${server.url}${referencePath}`)).body.toString('utf8');
    expect(html).to.include('<redoc spec-url="/cloudfoundry/api-docs/openapi.json"');
    const bundlePath = bundlePathOf(html);
    expect(bundlePath).to.match(/^\/cloudfoundry\/api-docs\/redoc-[A-Za-z0-9_-]{16}\.js$/);
    // The proxy in front takes the prefix off before the request reaches the server.
    expect((await raw(`${server.url}${bundlePath.slice('/cloudfoundry'.length)}`)).status).to.equal(200);
  });
});

describe("keepInOrigin (Redoc's bundle rewritten)", () => {
  it('rewrites the installed bundle', async () => {
    const bundle = await installedBundle();
    expect(bundle).to.include('cdn.redoc.ly');
    expect(keepInOrigin(bundle)).not.to.include('cdn.redoc.ly');
  });

  it('refuses a bundle where a text to rewrite is missing or found twice, naming it', async () => {
    const bundle = await installedBundle();
    const logo = 'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"';
    expect(() => keepInOrigin(bundle.replace(logo, 'src:"elsewhere"'))).to.throw(/0 occurrences of .*logo-mini/);
    expect(() => keepInOrigin(`${bundle}${logo}`)).to.throw(/2 occurrences of .*logo-mini/);
    expect(() => keepInOrigin(bundle.replace('r.nc=void 0', ''))).to.throw(/0 occurrences of "r.nc=void 0"/);
  });
});
