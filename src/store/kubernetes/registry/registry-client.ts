import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { getCACertificates } from 'node:tls';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { basicAuthorization, parseChallenge, tokenUrl, type AuthChallenge } from './auth-challenge.ts';
import { RegistryError, registryErrorForStatus } from './registry-error.ts';

/** A user name and password (or token) the registry accepts with HTTP basic authentication. */
export type RegistryCredentials = { username: string; password: string };

export type RegistryClientOptions = {
  /** Host (and port) as in image references, e.g. `registry.example.com:5000`. */
  registry: string;
  credentials?: RegistryCredentials | undefined;
  /** PEM certificates to trust besides Node's default ones, for a registry with a private CA (as Korifi adds its CA file to the system pool). */
  caPem?: string | undefined;
  /** Abandon a request whose connection is silent this long. */
  timeoutMs?: number | undefined;
};

type Response = { status: number; headers: IncomingHttpHeaders; body: IncomingMessage };
type Body = Buffer | Readable | undefined;
type RequestInit = { body?: Body; headers?: Record<string, string> };

/**
 * A small client for the registry HTTP API v2 (the OCI distribution API): blob existence, streamed
 * blob uploads (POST, then one streamed PATCH, then PUT with the digest), blob reads, manifest PUT and
 * GET. Authentication answers the registry's `WWW-Authenticate` challenge, with the basic credentials
 * or with a bearer token from the challenge's realm (Docker's token API), and keeps the header for the
 * next calls; a streamed body is sent only after an earlier call on the same client was authorized
 * (a blob upload starts with a POST), since it cannot be sent twice.
 */
export class RegistryClient {
  readonly registry: string;
  readonly #base: URL;
  readonly #options: RegistryClientOptions;
  readonly #trusted: string[] | undefined;
  #authorization: string | undefined;

  constructor(options: RegistryClientOptions) {
    this.registry = options.registry;
    this.#options = options;
    const host = options.registry === 'index.docker.io' ? 'registry-1.docker.io' : options.registry;
    this.#base = new URL(`https://${host}`);
    this.#trusted = options.caPem ? [...getCACertificates('default'), options.caPem] : undefined;
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    const response = await this.#send('HEAD', `/v2/${repository}/blobs/${digest}`, {});
    response.body.resume();
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw registryErrorForStatus(response.status, this.#what(`HEAD blob ${digest}`), '');
  }

  /**
   * Uploads a blob, streaming `content` once (the digest and size are computed on the way); a buffer
   * the registry already has is not sent again.
   */
  async uploadBlob(repository: string, content: Buffer | Readable): Promise<{ digest: string; size: number }> {
    if (Buffer.isBuffer(content) && (await this.blobExists(repository, sha256Digest(content))))
      return { digest: sha256Digest(content), size: content.length };
    const started = await this.#expect('POST', `/v2/${repository}/blobs/uploads/`, {
      body: Buffer.alloc(0),
      status: 202,
      what: 'start blob upload',
    });
    const hasher = new DigestingStream();
    if (Buffer.isBuffer(content)) hasher.digestOf(content);
    // pipeline, unlike pipe, hands a failure of the content (a broken zip) on to the request body.
    else void pipeline(content, hasher).catch(() => undefined);
    const patched = await this.#expect('PATCH', this.#location(started), {
      body: Buffer.isBuffer(content) ? content : hasher,
      headers: { 'content-type': 'application/octet-stream' },
      status: 202,
      what: 'send blob',
    });
    const digest = hasher.digest();
    const done = new URL(this.#location(patched), this.#base);
    done.searchParams.set('digest', digest);
    await this.#expect('PUT', done.pathname + done.search, { body: Buffer.alloc(0), status: 201, what: 'finish blob upload' });
    return { digest, size: hasher.size };
  }

  /** The blob's bytes as the registry sends them, checked against the digest as they are read. */
  async readBlob(repository: string, digest: string): Promise<Readable> {
    const response = await this.#expect('GET', `/v2/${repository}/blobs/${digest}`, {
      status: 200,
      what: `read blob ${digest}`,
      keepBody: true,
    });
    const checked = new DigestingStream(digest);
    void pipeline(response.body, checked).catch(() => undefined);
    return checked;
  }

  /** Stores a manifest under a tag (or digest) and answers the manifest's digest. */
  async putManifest(repository: string, reference: string, mediaType: string, manifest: Buffer): Promise<string> {
    await this.#expect('PUT', `/v2/${repository}/manifests/${reference}`, {
      body: manifest,
      headers: { 'content-type': mediaType },
      status: 201,
      what: `put manifest ${reference}`,
    });
    return sha256Digest(manifest);
  }

  async getManifest(
    repository: string,
    reference: string,
    accept: readonly string[],
  ): Promise<{ mediaType: string; digest: string; bytes: Buffer }> {
    const response = await this.#expect('GET', `/v2/${repository}/manifests/${reference}`, {
      headers: { accept: accept.join(', ') },
      status: 200,
      what: `get manifest ${reference}`,
      keepBody: true,
    });
    const bytes = await readAll(response.body);
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference)
      throw new RegistryError('protocol', this.#what(`manifest ${reference} arrived with digest ${digest}`));
    return {
      mediaType: String(response.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim(),
      digest,
      bytes,
    };
  }

  /** The repository's tags (up to 1000; a repository that does not exist has none). */
  async listTags(repository: string): Promise<string[]> {
    const response = await this.#send('GET', `/v2/${repository}/tags/list?n=1000`, {});
    const text = (await readAll(response.body)).toString('utf8');
    if (response.status === 404) return [];
    if (response.status !== 200) throw registryErrorForStatus(response.status, this.#what('list tags'), text);
    return (JSON.parse(text) as { tags?: string[] | null }).tags ?? [];
  }

  /** Deletes a manifest by digest; every tag naming it goes with it (the registry must allow deletes). */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    await this.#expect('DELETE', `/v2/${repository}/manifests/${digest}`, { status: 202, what: `delete manifest ${digest}` });
  }

  async #expect(method: string, path: string, init: RequestInit & { status: number; what: string; keepBody?: boolean }): Promise<Response> {
    const { status, what, keepBody = false } = init;
    const response = await this.#send(method, path, init);
    if (response.status !== status) {
      const text = (await readAll(response.body).catch(() => Buffer.alloc(0))).toString('utf8');
      throw registryErrorForStatus(response.status, this.#what(what), text);
    }
    if (!keepBody) response.body.resume();
    return response;
  }

  /** Sends once; on a 401 with a replayable body, answers the challenge and sends again. */
  async #send(method: string, path: string, init: RequestInit): Promise<Response> {
    const response = await this.#raw(method, new URL(path, this.#base), init, this.#authorization);
    const replayable = init.body === undefined || Buffer.isBuffer(init.body);
    if (response.status !== 401 || !replayable) return response;
    const authorization = await this.#answer(parseChallenge(String(response.headers['www-authenticate'] ?? '')));
    if (!authorization) return response;
    response.body.resume();
    this.#authorization = authorization;
    return this.#raw(method, new URL(path, this.#base), init, authorization);
  }

  /**
   * The Authorization header for a challenge: basic credentials as they are, or a bearer token from the
   * challenge's realm (asked with the basic credentials when there are any, else anonymously).
   * Undefined when there is nothing to answer with.
   */
  async #answer(challenge: AuthChallenge): Promise<string | undefined> {
    const credentials = this.#options.credentials;
    if (challenge.scheme === 'basic') return credentials ? basicAuthorization(credentials) : undefined;
    if (challenge.scheme !== 'bearer' || !challenge.params['realm'])
      throw new RegistryError('unauthorized', this.#what(`unsupported authentication challenge "${challenge.scheme}"`), { status: 401 });
    const url = tokenUrl(challenge);
    if (url.protocol !== 'https:') throw new RegistryError('protocol', this.#what(`token realm ${url.origin} is not HTTPS`));
    const response = await this.#raw('GET', url, {}, credentials ? basicAuthorization(credentials) : undefined);
    const text = (await readAll(response.body)).toString('utf8');
    if (response.status !== 200) throw registryErrorForStatus(response.status, this.#what(`token from ${url.origin}${url.pathname}`), text);
    const answer = JSON.parse(text) as { token?: string; access_token?: string };
    const token = answer.token ?? answer.access_token;
    if (!token) throw new RegistryError('protocol', this.#what(`token answer from ${url.origin}${url.pathname} holds no token`));
    return `Bearer ${token}`;
  }

  #raw(method: string, url: URL, init: RequestInit, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (authorization) headers['authorization'] = authorization;
    if (Buffer.isBuffer(init.body)) headers['content-length'] = String(init.body.length);
    const body = init.body;
    let bodyFailure: Error | undefined;
    return new Promise<Response>((resolve, reject) => {
      const req = request(url, { method, headers, ...(this.#trusted ? { ca: this.#trusted } : {}) }, (res) => {
        // A refusal can come before the whole body is sent: stop reading the source then.
        if (body && !Buffer.isBuffer(body) && (res.statusCode ?? 0) >= 300) body.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
      });
      const timeoutMs = this.#options.timeoutMs ?? 30_000;
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.on('error', (error) =>
        reject(
          bodyFailure ?? new RegistryError('unavailable', this.#what(`${method} ${url.pathname}: ${error.message}`), { cause: error }),
        ),
      );
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.once('error', (error) => (bodyFailure = error));
        pipeline(body, req).catch((error: unknown) => reject(bodyFailure ?? (error instanceof Error ? error : new Error(String(error)))));
      }
    });
  }

  #location(response: Response): string {
    const location = response.headers.location;
    if (!location) throw new RegistryError('protocol', this.#what('upload answer without a Location'));
    return location;
  }

  #what(action: string): string {
    return `registry ${this.registry}: ${action}`;
  }
}

/** Passes bytes through while counting them and hashing them with SHA-256; checks `expected` at the end. */
class DigestingStream extends Transform {
  readonly #hash = createHash('sha256');
  readonly #expected: string | undefined;
  #digest: string | undefined;
  size = 0;

  constructor(expected?: string) {
    super();
    this.#expected = expected;
  }

  digestOf(content: Buffer): Buffer {
    this.#hash.update(content);
    this.size = content.length;
    this.#digest = `sha256:${this.#hash.digest('hex')}`;
    return content;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.#hash.update(chunk);
    this.size += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: (error?: Error | null) => void): void {
    this.#digest = `sha256:${this.#hash.digest('hex')}`;
    if (this.#expected && this.#digest !== this.#expected)
      callback(new RegistryError('protocol', `blob ${this.#expected} arrived with digest ${this.#digest}`));
    else callback();
  }

  digest(): string {
    if (!this.#digest) throw new Error('digest asked before the content ended');
    return this.#digest;
  }
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
