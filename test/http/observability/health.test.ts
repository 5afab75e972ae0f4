import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createApp } from '../../../src/app.ts';
import { openBackend } from '../../../src/backends/open-backend.ts';
import { validateConfig } from '../../../src/config/load.ts';
import { loadDocument } from '../../../src/http/openapi-document.ts';
import { createLogger } from '../../../src/logger.ts';
import { runtimeOf } from '../../../src/runtime.ts';
import { startServer } from '../../../src/server.ts';
import { sharedControlPlane } from '../../support/control-plane.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';

type ProbeResponse = { status: number; headers: Headers; body: Record<string, unknown> };

/** A probe as the kubelet sends it: no credentials, not an operation of the document (plain fetch). */
async function probe(server: TestServer, path: string, init: RequestInit = {}): Promise<ProbeResponse> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

forEachBackend('health probes', (cf, backend) => {
  it('/healthz answers 200 without credentials, with the request’s correlation id', async () => {
    const response = await probe(cf.server, '/healthz', { headers: { 'X-Correlation-ID': 'probe-1' } });
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ status: 'ok' });
    expect(response.headers.get('x-correlation-id')).to.equal('probe-1');
    expect(response.headers.get('cache-control')).to.equal('no-store');
    const logged = cf.server.logs.find((line) => line['correlationId'] === 'probe-1' && line['msg'] === 'request');
    expect(logged, 'the request log has the probe').to.include({ path: '/healthz', status: 200 });
  });

  it('/healthz and /readyz answer HEAD, and any other method is CF’s 404', async () => {
    expect((await fetch(`${cf.server.url}/healthz`, { method: 'HEAD' })).status).to.equal(200);
    expect((await fetch(`${cf.server.url}/readyz`, { method: 'HEAD' })).status).to.equal(200);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const response = await probe(cf.server, path, { method: 'POST' });
      expect(response.status, path).to.equal(404);
      expect(response.body).to.deep.equal({ errors: [{ code: 10000, title: 'CF-NotFound', detail: 'Unknown request' }] });
    }
    // Only the exact paths: a name under them is an unknown request like any other.
    expect((await probe(cf.server, '/healthz/more')).status).to.equal(404);
  });

  it('/readyz is 200 when the store answers and the reconcilers lead, saying so', async () => {
    const response = await probe(cf.server, '/readyz');
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({
      status: 'ready',
      failed: [],
      checks: { lifecycle: { ok: true }, store: { ok: true }, reconcilers: { ok: true, detail: 'leader' } },
    });
    expect(backend).to.be.oneOf(['embedded', 'kubernetes']);
  });

  // Last: a draining server does not come back.
  it('/readyz is 503 once the server drains for shutdown, while /healthz and the API still answer', async () => {
    cf.server.lifecycle.startDraining();
    const response = await probe(cf.server, '/readyz');
    expect(response.status).to.equal(503);
    expect(response.body['failed']).to.deep.equal(['lifecycle']);
    expect(response.body['checks']).to.deep.include({ lifecycle: { ok: false, detail: 'draining for shutdown' } });
    // A draining server asks the store nothing for its probe.
    expect(response.body['checks']).not.to.have.property('store');
    expect((await probe(cf.server, '/healthz')).status).to.equal(200);
    expect((await cf.get('/v3/organizations')).status).to.equal(200);
  });
});

for (const backend of ['embedded', 'kubernetes'] as const) {
  describe(`/readyz with the reconcilers off (${backend})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ backend, config: { reconcilers: false } });
    });
    after(() => server.stop());

    it('is 200 saying they are off, and /metrics has no leader gauge', async () => {
      const response = await probe(server, '/readyz');
      expect(response.status).to.equal(200);
      expect(response.body['checks']).to.deep.include({ reconcilers: { ok: true, detail: 'off' } });
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).to.include('# TYPE cfapi_reconciler_leader gauge');
      expect(metrics).not.to.match(/^cfapi_reconciler_leader /m);
    });
  });
}

/**
 * As `npm start` runs: the server listens before its reconcilers start, and is not ready until they
 * have (their first lists done, or on a cluster the first election tried).
 */
describe('/readyz while the reconcilers start (embedded, as npm start runs)', function () {
  this.timeout(30_000);
  let dir: string;
  let stop: () => Promise<void> = () => Promise.resolve();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cfapi-readyz-'));
  });
  after(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('is 503 naming the reconcilers until they run, then 200', async () => {
    const config = validateConfig({
      dataDir: dir,
      listen: { host: '127.0.0.1', port: 0 },
      router: { port: 0 },
      appRuntime: 'scripted',
      rootNamespace: uniqueName('cf'),
    });
    const logger = createLogger('warn');
    const backend = await openBackend(config, logger, { reconcilers: 'later' });
    const app = createApp({
      document: await loadDocument(),
      runtime: runtimeOf(config, backend),
      authenticator: backend.authenticator,
      logger,
      metrics: backend.metrics,
    });
    const running = await startServer(app, config);
    stop = async () => {
      await running.stop();
      await backend.close();
    };
    const url = running.url;
    const before = await fetch(`${url}/readyz`);
    expect(before.status).to.equal(503);
    expect(await before.json()).to.deep.include({ failed: ['reconcilers'] });
    await backend.startReconcilers();
    const after = await fetch(`${url}/readyz`);
    expect(after.status).to.equal(200);
    expect(((await after.json()) as { checks: unknown }).checks).to.deep.include({ reconcilers: { ok: true, detail: 'leader' } });
  });
});

describe('/readyz when the store cannot be reached (embedded)', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ backend: 'embedded' });
  });
  after(() => server.stop());

  it('is 503 naming the store once the store is closed, and /healthz stays 200', async () => {
    expect((await probe(server, '/readyz')).status).to.equal(200);
    await server.store.close();
    const response = await probe(server, '/readyz');
    expect(response.status).to.equal(503);
    expect(response.body['status']).to.equal('not ready');
    expect(response.body['failed']).to.deep.equal(['store']);
    expect(response.body['checks']).to.deep.include({ store: { ok: false, detail: 'Unavailable' } });
    expect((await probe(server, '/healthz')).status).to.equal(200);
    expect(server.logs.some((line) => line['msg'] === 'readiness: the store did not answer')).to.equal(true);
  });
});

/**
 * A TCP relay between the server and the apiserver that the test can cut (every connection ended, the
 * port refused) and restore on the same port: the apiserver really becomes unreachable for this server
 * only, while the shared control plane goes on for every other suite.
 */
class CuttableRelay {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.#target);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('/readyz when the store cannot be reached (kubernetes)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let relay: CuttableRelay;
  let dir: string;
  before(async () => {
    const controlPlane = await sharedControlPlane();
    const apiserver = new URL(controlPlane.server);
    relay = new CuttableRelay({ host: apiserver.hostname, port: Number(apiserver.port) });
    await relay.open();
    // The control plane's kubeconfig, pointed at the relay (its certificate names 127.0.0.1, any port).
    const kubeconfig = parseYaml(await readFile(controlPlane.kubeconfigFile, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    for (const { cluster } of kubeconfig.clusters) cluster.server = `https://127.0.0.1:${relay.port}`;
    dir = await mkdtemp(join(tmpdir(), 'cfapi-readyz-'));
    const relayedKubeconfig = join(dir, 'kubeconfig');
    await writeFile(relayedKubeconfig, stringifyYaml(kubeconfig), { mode: 0o600 });
    server = await startTestServer({ backend: 'kubernetes', config: { kubernetes: { kubeconfig: relayedKubeconfig } } });
  });
  after(async () => {
    await relay.open().catch(() => undefined);
    await server?.stop();
    await relay.cut();
    await rm(dir, { recursive: true, force: true });
  });

  it('is 503 naming the store while the apiserver cannot be reached, and 200 again once it can', async () => {
    expect((await probe(server, '/readyz')).status).to.equal(200);
    await relay.cut();
    const started = Date.now();
    const response = await probe(server, '/readyz');
    expect(response.status).to.equal(503);
    expect(response.body['failed']).to.deep.equal(['store']);
    const store = (response.body['checks'] as Record<string, { ok: boolean; detail?: string }>)['store'];
    expect(store?.ok).to.equal(false);
    // Bounded: a store that does not answer makes the probe fail in about 2 s, not hang.
    expect(Date.now() - started).to.be.below(5_000);
    expect((await probe(server, '/healthz')).status).to.equal(200);
    await relay.open();
    expect((await probe(server, '/readyz')).status).to.equal(200);
  });
});
