import { createHash } from 'node:crypto';
import https from 'node:https';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { retryDelayMs } from './retry-policy.ts';

/** A response from the apiserver other than 2xx; `body` is its Status object when it sent one. */
export class KubernetesHttpError extends Error {
  override readonly name = 'KubernetesHttpError';
  readonly statusCode: number;
  readonly body: KubernetesStatus | undefined;

  constructor(statusCode: number, body: KubernetesStatus | undefined) {
    super(body?.message ?? `the Kubernetes API answered ${statusCode}`);
    this.statusCode = statusCode;
    this.body = body;
  }
}

export type KubernetesStatus = {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: { field?: string; message?: string; reason?: string }[] };
};

export type RestRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
};

type ConnectionSettings = { server: URL; agent: http.Agent; headers: Record<string, string>; tlsFingerprint: string };
const credentialRefreshMs = 30_000;
const requestTimeoutMs = 30_000;

/**
 * JSON over HTTPS to one apiserver as one identity, for every kind alike (client-node's typed APIs
 * are one class per group and cannot address the status subresource of an arbitrary kind). The
 * kubeconfig supplies the CA, client certificate and Authorization header, so every auth method
 * client-node knows works; connections are kept alive because a TLS handshake per call would
 * dominate the cost of a get.
 */
export class RestClient {
  readonly #config: KubeConfig;
  #settings: Promise<ConnectionSettings> | undefined;
  #settingsAt = 0;

  constructor(config: KubeConfig) {
    this.#config = config;
  }

  /**
   * One call, answered in full within `requestTimeoutMs` (else it fails with ETIMEDOUT); retried as
   * `retryDelayMs` says. Aborting `signal` ends it at once, in flight or between retries.
   */
  async request<T>(request: RestRequest, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const { response, text } = await this.#exchange(request, signal);
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) return JSON.parse(text) as T;
      const delay = retryDelayMs(response, request.method, attempt);
      if (delay === undefined) throw new KubernetesHttpError(status, parseStatus(text));
      await sleep(delay, undefined, signal ? { signal } : {});
    }
  }

  async #exchange(request: RestRequest, caller: AbortSignal | undefined): Promise<{ response: http.IncomingMessage; text: string }> {
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    try {
      const response = await this.stream(request, caller ? AbortSignal.any([timeout, caller]) : timeout);
      return { response, text: await readAll(response) };
    } catch (error) {
      if (!timeout.aborted) throw error;
      throw Object.assign(new Error(`no answer within ${requestTimeoutMs / 1000} s`, { cause: error }), { code: 'ETIMEDOUT' });
    }
  }

  /** Starts a request and returns the response once its headers arrived (for watches). */
  async stream(request: RestRequest, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const settings = await this.#connectionSettings();
    // The server URL may carry a path prefix (an API proxy); keep it.
    const url = new URL(`${settings.server.pathname.replace(/\/$/, '')}${request.path}`, settings.server);
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = { ...settings.headers, accept: 'application/json' };
    if (body !== undefined) {
      headers['content-type'] = request.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const outgoing = transport.request(
        url,
        { method: request.method, agent: settings.agent, headers, ...(signal ? { signal } : {}) },
        resolve,
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** Closes the kept connections, after `graceMs` so that calls still in flight can finish. */
  close(graceMs = 0): void {
    void this.#settings?.then((settings) => {
      if (graceMs === 0) settings.agent.destroy();
      else setTimeout(() => settings.agent.destroy(), graceMs).unref();
    });
  }

  #connectionSettings(): Promise<ConnectionSettings> {
    const now = Date.now();
    if (!this.#settings || now - this.#settingsAt > credentialRefreshMs) {
      const previous = this.#settings;
      this.#settingsAt = now;
      this.#settings = this.#loadSettings(previous);
      this.#settings.catch(() => (this.#settings = undefined));
    }
    return this.#settings;
  }

  /** Re-reads credentials (tokens may rotate), keeping the connection pool when the TLS material is the same. */
  async #loadSettings(previous: Promise<ConnectionSettings> | undefined): Promise<ConnectionSettings> {
    const cluster = this.#config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const options: https.RequestOptions = {};
    await this.#config.applyToHTTPSOptions(options);
    const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([key, value]) => [key.toLowerCase(), String(value)]));
    const tls: https.AgentOptions = { ca: options.ca, cert: options.cert, key: options.key, rejectUnauthorized: !cluster.skipTLSVerify };
    const fingerprint = tlsFingerprint(tls);
    const old = await previous?.catch(() => undefined);
    if (old?.tlsFingerprint === fingerprint) return { ...old, headers };
    old?.agent.destroy();
    return { server: new URL(cluster.server), agent: createAgent(cluster.server, tls), headers, tlsFingerprint: fingerprint };
  }
}

function createAgent(server: string, tls: https.AgentOptions): http.Agent {
  return server.startsWith('http:')
    ? new http.Agent({ keepAlive: true, maxSockets: 64 })
    : new https.Agent({ keepAlive: true, maxSockets: 64, ...tls });
}

/** Identifies the TLS material, so a credentials refresh keeps the connections when only a token changed. */
function tlsFingerprint(tls: https.AgentOptions): string {
  const hash = createHash('sha256');
  for (const part of [tls.ca, tls.cert, tls.key]) hash.update(part === undefined ? '-' : Buffer.from(JSON.stringify(part))).update('|');
  return `${hash.digest('hex')}${tls.rejectUnauthorized === false ? ':insecure' : ''}`;
}

/** The whole body of a response, as text. */
export async function readAll(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseStatus(text: string): KubernetesStatus | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return text.trim() === '' ? undefined : { message: text.trim() };
  }
}
