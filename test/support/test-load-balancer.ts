import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A load balancer for tests that behaves like a Kubernetes Service's endpoints in front of replicas:
 * round-robin over the replicas it considers ready, a replica counting as ready once its readiness
 * probe (`GET /readyz`, every `probeIntervalMs`) answers 200 and until it fails `failureThreshold`
 * times in a row (as the kubelet decides), and a replica told to be terminating
 * (its pod deleted) taken out `removalLagMs` later for good, the time endpoint changes take to reach
 * every proxy. It never retries: a request sent to a replica that fails (refused, reset, closed
 * before answering) is answered 502 and recorded, so a test sees every dropped request.
 */
export class TestLoadBalancer {
  readonly url: string;
  /** Every request the balancer could not get answered, in order. */
  readonly failures: LoadBalancerFailure[] = [];
  /** When each replica came into the rotation and left it, in order. */
  readonly transitions: { endpoint: string; ready: boolean; atMs: number }[] = [];
  readonly #server: Server;
  readonly #options: Required<LoadBalancerOptions>;
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #probeTimer: NodeJS.Timeout;
  #next = 0;

  private constructor(server: Server, options: Required<LoadBalancerOptions>) {
    this.#server = server;
    this.#options = options;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.#probeTimer = setInterval(() => void this.#probeAll(), options.probeIntervalMs);
  }

  static async start(options: LoadBalancerOptions = {}): Promise<TestLoadBalancer> {
    const server = createServer();
    // Clients keep their connections to the balancer; only the balancer's to the replicas come and go.
    server.keepAliveTimeout = 10 * 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const balancer = new TestLoadBalancer(server, {
      readinessPath: options.readinessPath ?? '/readyz',
      probeIntervalMs: options.probeIntervalMs ?? 250,
      probeTimeoutMs: options.probeTimeoutMs ?? 3000,
      failureThreshold: options.failureThreshold ?? 3,
      removalLagMs: options.removalLagMs ?? 1000,
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => balancer.#forward(request, response));
    return balancer;
  }

  /** A new replica (pod): it gets requests once its readiness probe passes. */
  add(name: string, url: string): void {
    if (this.#endpoints.has(name)) throw new Error(`endpoint ${name} exists already`);
    const { hostname, port } = new URL(url);
    this.#endpoints.set(name, {
      name,
      host: hostname,
      port: Number(port),
      agent: new Agent({ keepAlive: true }),
      ready: false,
      removed: false,
      probing: false,
      failedProbes: 0,
      answered: 0,
      closing: 0,
      failed: 0,
    });
    void this.#probe(this.#endpoint(name));
  }

  /**
   * The replica's pod is being deleted: it leaves the rotation after the removal lag (the balancer's, or
   * `removalLagMs`), whatever its probe says.
   */
  terminating(name: string, removalLagMs = this.#options.removalLagMs): void {
    const endpoint = this.#endpoint(name);
    setTimeout(() => {
      endpoint.removed = true;
      this.#setReady(endpoint, false);
    }, removalLagMs).unref();
  }

  /** Resolves once the replica is in the rotation. */
  async waitUntilReady(name: string, timeoutMs = 60_000): Promise<void> {
    const endpoint = this.#endpoint(name);
    const deadline = Date.now() + timeoutMs;
    while (!endpoint.ready) {
      if (Date.now() > deadline) throw new Error(`endpoint ${name} not ready within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  isReady(name: string): boolean {
    return this.#endpoint(name).ready;
  }

  /**
   * Requests a replica answered (any status), of those the answers that closed their connection
   * (`Connection: close`, as a draining server says), and the requests it failed (no answer).
   */
  counts(name: string): { answered: number; closing: number; failed: number } {
    const { answered, closing, failed } = this.#endpoint(name);
    return { answered, closing, failed };
  }

  async close(): Promise<void> {
    clearInterval(this.#probeTimer);
    for (const endpoint of this.#endpoints.values()) endpoint.agent.destroy();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #endpoint(name: string): Endpoint {
    const endpoint = this.#endpoints.get(name);
    if (!endpoint) throw new Error(`no endpoint ${name}`);
    return endpoint;
  }

  #probeAll(): Promise<unknown> {
    // One probe at a time per replica: a slow one is not overtaken by the next.
    const due = [...this.#endpoints.values()].filter((endpoint) => !endpoint.removed && !endpoint.probing);
    return Promise.all(due.map((endpoint) => this.#probe(endpoint)));
  }

  /** A probe on a connection of its own (no keep-alive), as the kubelet's: 200 within the probe timeout is ready. */
  async #probe(endpoint: Endpoint): Promise<void> {
    endpoint.probing = true;
    const ready = await new Promise<boolean>((resolve) => {
      const probe = httpRequest(
        {
          host: endpoint.host,
          port: endpoint.port,
          path: this.#options.readinessPath,
          agent: false,
          timeout: this.#options.probeTimeoutMs,
        },
        (response) => {
          response.resume();
          resolve(response.statusCode === 200);
        },
      );
      probe.on('timeout', () => probe.destroy(new Error('probe timed out')));
      probe.on('error', () => resolve(false));
      probe.end();
    });
    endpoint.probing = false;
    endpoint.failedProbes = ready ? 0 : endpoint.failedProbes + 1;
    if (endpoint.removed) return;
    // One success makes a replica ready; only `failureThreshold` failures in a row make it unready.
    if (ready || !endpoint.ready || endpoint.failedProbes >= this.#options.failureThreshold) this.#setReady(endpoint, ready);
  }

  #setReady(endpoint: Endpoint, ready: boolean): void {
    if (endpoint.ready !== ready) this.transitions.push({ endpoint: endpoint.name, ready, atMs: Date.now() });
    endpoint.ready = ready;
  }

  /** Round-robin over ready endpoints; `X-LB-Pin: <name>` sends a request to that one if it is ready. */
  #pick(request: IncomingMessage): Endpoint | undefined {
    const pinned = request.headers['x-lb-pin'];
    if (typeof pinned === 'string') {
      const endpoint = this.#endpoints.get(pinned);
      return endpoint?.ready ? endpoint : undefined;
    }
    const ready = [...this.#endpoints.values()].filter((endpoint) => endpoint.ready);
    if (ready.length === 0) return undefined;
    this.#next = (this.#next + 1) % ready.length;
    return ready[this.#next];
  }

  #forward(request: IncomingMessage, response: ServerResponse): void {
    const endpoint = this.#pick(request);
    const fail = (reason: string, target?: Endpoint) => {
      this.failures.push({ method: request.method ?? '', path: request.url ?? '', endpoint: target?.name, reason, atMs: Date.now() });
      if (target) target.failed++;
      if (!response.headersSent) {
        response.writeHead(target ? 502 : 503, { 'Content-Type': 'text/plain', 'X-LB-Endpoint': target?.name ?? '' });
        response.end(reason);
      } else {
        response.destroy();
      }
    };
    if (!endpoint) {
      request.resume();
      fail('no ready endpoint');
      return;
    }
    const upstream = httpRequest(
      {
        host: endpoint.host,
        port: endpoint.port,
        method: request.method,
        path: request.url,
        headers: withoutHopByHop(request.headers),
        agent: endpoint.agent,
      },
      (answer) => {
        endpoint.answered++;
        if (answer.headers.connection === 'close') endpoint.closing++;
        response.writeHead(answer.statusCode ?? 502, { ...withoutHopByHop(answer.headers), 'x-lb-endpoint': endpoint.name });
        answer.pipe(response);
        answer.on('error', () => response.destroy());
      },
    );
    upstream.on('error', (error: NodeJS.ErrnoException) => fail(`${endpoint.name}: ${error.code ?? error.message}`, endpoint));
    request.pipe(upstream);
  }
}

export type LoadBalancerOptions = {
  /** Default `/readyz`. */
  readinessPath?: string;
  /** Default 250 ms. */
  probeIntervalMs?: number;
  /** How long a probe may take before it counts as failed; default 3 s (`/readyz` gives the store 2 s). */
  probeTimeoutMs?: number;
  /** Failed probes in a row that take a ready replica out (the kubelet's failureThreshold); default 3. */
  failureThreshold?: number;
  /** From `terminating()` until the replica is out of the rotation; default 1 s. */
  removalLagMs?: number;
};

export type LoadBalancerFailure = { method: string; path: string; endpoint: string | undefined; reason: string; atMs: number };

type Endpoint = {
  name: string;
  host: string;
  port: number;
  agent: Agent;
  ready: boolean;
  removed: boolean;
  probing: boolean;
  failedProbes: number;
  answered: number;
  closing: number;
  failed: number;
};

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

/** Headers that describe one connection, not the message: each hop sets its own. */
function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !hopByHop.has(name)));
}
