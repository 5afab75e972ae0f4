import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../../../src/domain/apps/app-service.ts';
import { instanceUsage } from '../../../src/domain/processes/instance-usage.ts';
import type { Process } from '../../../src/domain/processes/process-spec.ts';
import type { RequestContext } from '../../../src/domain/request-context.ts';
import type { LogTarget, LogWindow } from '../../../src/log-cache/log-source.ts';
import { PodLogSource, quantity, timestampedLine } from '../../../src/store/kubernetes/pod-log-source.ts';

/**
 * The kubernetes log source at its boundary: pod logs and metrics need a kubelet and a metrics server,
 * which the test control plane has not, so a fake apiserver in this process answers the calls the
 * adapter makes (pods by label, each container's `log` with timestamps, metrics.k8s.io), recording them.
 */
type Call = { path: string; query: Record<string, string>; authorization: string | undefined };

const korifi = 'korifi.cloudfoundry.org';
const appPods = [
  {
    metadata: { name: 'web-a1b2-0', labels: { [`${korifi}/process-type`]: 'web', 'apps.kubernetes.io/pod-index': '0' } },
    spec: { containers: [{ name: 'application' }] },
  },
  { metadata: { name: 'web-a1b2-1', labels: { [`${korifi}/process-type`]: 'web' } }, spec: { containers: [{ name: 'application' }] } },
];
const buildPods = [
  {
    metadata: { name: 'build-pod' },
    spec: { initContainers: [{ name: 'detect' }, { name: 'build' }], containers: [{ name: 'completion' }] },
  },
];
const logs: Record<string, string> = {
  'build-pod/detect': '2026-12-05T10:00:00.000000001Z Detecting\n',
  'build-pod/build': '2026-12-05T10:00:01.5Z Building\n2026-12-05T10:00:02Z Built\n',
  'build-pod/completion': '',
  'web-a1b2-0/application': '2026-12-05T10:01:00.123456789Z Listening on 8080\nnot a timestamped line\n',
  'web-a1b2-1/application': '2026-12-05T10:01:01+00:00 Listening too\n',
};

describe('kubernetes log source (PodLogSource) against a fake apiserver', () => {
  let server: http.Server;
  let calls: Call[];
  let forbidPods = false;
  let source: PodLogSource;

  before(async () => {
    server = http.createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      calls.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: request.headers.authorization });
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const selector = url.searchParams.get('labelSelector') ?? '';
      let match: RegExpExecArray | null;
      if (url.pathname === '/api/v1/namespaces/space-1/pods') {
        if (forbidPods) return json(403, { kind: 'Status', reason: 'Forbidden', code: 403, message: 'pods is forbidden' });
        if (selector === `${korifi}/app-guid=app-1,${korifi}/version=2`) return json(200, { items: appPods });
        if (selector === `${korifi}/build-workload-name=build-1`) return json(200, { items: buildPods });
        return json(200, { items: [] });
      }
      if ((match = /^\/api\/v1\/namespaces\/space-1\/pods\/([^/]+)\/log$/.exec(url.pathname))) {
        const text = logs[`${match[1]}/${url.searchParams.get('container')}`];
        if (text === undefined) return json(400, { kind: 'Status', code: 400, message: 'container is waiting to start' });
        return response.writeHead(200, { 'content-type': 'text/plain' }).end(text);
      }
      if (url.pathname === '/apis/metrics.k8s.io/v1beta1/namespaces/space-1/pods/web-a1b2-0') {
        return json(200, { containers: [{ name: 'application', usage: { cpu: '250000000n', memory: '64Mi' } }] });
      }
      return json(404, { kind: 'Status', code: 404, reason: 'NotFound', message: 'not found' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const config = new KubeConfig();
    const port = (server.address() as AddressInfo).port;
    config.loadFromOptions({
      clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'server', token: 'server-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'server' }],
      currentContext: 'fake',
    });
    source = new PodLogSource(config);
  });

  beforeEach(() => {
    calls = [];
    forbidPods = false;
  });

  after(async () => {
    source.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const target = (latestBuild: string | null = 'build-1'): LogTarget => ({
    appGuid: 'app-1',
    appName: 'my-app',
    spaceGuid: 'space-1',
    revision: '2',
    processes: [{ guid: 'process-web', type: 'web', memoryMB: 256, diskMB: 512 }],
    latestBuildGuid: async () => latestBuild ?? undefined,
    credentials: { scheme: 'bearer', token: 'user-token' },
  });
  const nowNs = BigInt(Date.parse('2026-12-05T10:05:00Z')) * 1_000_000n;
  const window = (extra: Partial<LogWindow> = {}): LogWindow => ({
    startNs: -(2n ** 63n),
    endNs: nowNs + 1n,
    types: new Set(['LOG']),
    limit: 100,
    descending: false,
    nowNs,
    ...extra,
  });
  const ns = (iso: string, fraction = 0n) => BigInt(Date.parse(iso)) * 1_000_000n + fraction;

  it("reads the newest build's pods (every step) as STG and the revision's pods as APP/PROC/<TYPE>, as the caller", async () => {
    const envelopes = await source.envelopes(target(), window());
    const lines = envelopes.map((envelope) => [
      envelope.timestampNs,
      envelope.instanceId,
      envelope.tags['source_type'],
      Buffer.from(envelope.log!.payload, 'base64').toString(),
    ]);
    expect(lines).to.have.deep.members([
      [ns('2026-12-05T10:00:00Z', 1n), '0', 'STG', 'Detecting'],
      [ns('2026-12-05T10:00:01.5Z'), '0', 'STG', 'Building'],
      [ns('2026-12-05T10:00:02Z'), '0', 'STG', 'Built'],
      [ns('2026-12-05T10:01:00Z', 123_456_789n), '0', 'APP/PROC/WEB', 'Listening on 8080'],
      [ns('2026-12-05T10:01:01Z'), '1', 'APP/PROC/WEB', 'Listening too'],
    ]);
    const web = envelopes.find((envelope) => envelope.tags['source_type'] === 'APP/PROC/WEB')!;
    expect(web).to.deep.include({ sourceId: 'app-1' });
    expect(web.tags).to.deep.equal({
      source_type: 'APP/PROC/WEB',
      app_id: 'app-1',
      app_name: 'my-app',
      space_id: 'space-1',
      process_id: 'process-web',
      process_type: 'web',
    });
    expect(web.log?.type).to.equal('OUT');
    // Every call carried the caller's token, never the server's.
    expect(calls.length).to.be.greaterThan(0);
    expect(new Set(calls.map((call) => call.authorization))).to.deep.equal(new Set(['Bearer user-token']));
    const logCalls = calls.filter((call) => call.path.endsWith('/log'));
    expect(logCalls.map((call) => call.query['container']).sort()).to.deep.equal([
      'application',
      'application',
      'build',
      'completion',
      'detect',
    ]);
    for (const call of logCalls) expect(call.query).to.deep.equal({ container: call.query['container'], timestamps: 'true' });
  });

  it('asks only for lines since start_time, and only the last `limit` when the newest are asked for', async () => {
    await source.envelopes(target(null), window({ startNs: ns('2026-12-05T10:00:59Z', 999n), descending: true, limit: 7 }));
    const logCalls = calls.filter((call) => call.path.endsWith('/log'));
    expect(logCalls).to.have.length(2);
    for (const call of logCalls)
      expect(call.query).to.deep.equal({ container: 'application', timestamps: 'true', sinceTime: '2026-12-05T10:00:59Z', tailLines: '7' });
    expect(calls.some((call) => call.query['labelSelector']?.includes('build-workload-name'))).to.equal(false);
  });

  it('gives GAUGE envelopes from metrics.k8s.io, none for a pod without metrics', async () => {
    const envelopes = await source.envelopes(target(), window({ types: new Set(['GAUGE']) }));
    expect(envelopes).to.have.length(1);
    expect(envelopes[0]).to.deep.include({ timestampNs: nowNs, sourceId: 'app-1', instanceId: '0' });
    expect(envelopes[0]!.gauge).to.deep.equal({
      cpu: { unit: 'percentage', value: 25 },
      memory: { unit: 'bytes', value: 64 * 1024 * 1024 },
      disk: { unit: 'bytes', value: 0 },
      memory_quota: { unit: 'bytes', value: 256 * 1024 * 1024 },
      disk_quota: { unit: 'bytes', value: 512 * 1024 * 1024 },
    });
    expect(calls.some((call) => call.path.endsWith('/log'))).to.equal(false);
  });

  it("gives process stats each instance's usage from the revision's pods, read as the caller", async () => {
    // Only what the stats read of them: the app's GUID, space, name and revision; the process's GUID, type and quotas.
    const app = {
      metadata: { name: 'app-1', namespace: 'space-1', annotations: { [`${korifi}/app-rev`]: '2' } },
      spec: { displayName: 'my-app' },
    } as unknown as App;
    const process = {
      metadata: { name: 'process-web', namespace: 'space-1' },
      spec: { processType: 'web', memoryMB: 256, diskQuotaMB: 512 },
    } as unknown as Process;
    const caller = { auth: { credentials: { scheme: 'bearer', token: 'user-token' } } } as unknown as RequestContext;
    const usage = await instanceUsage(caller, source, app, process);
    expect([...usage.keys()]).to.deep.equal([0]);
    expect(usage.get(0)).to.deep.include({ cpu: 0.25, memoryBytes: 64 * 1024 * 1024, diskBytes: 0 });
    expect(new Set(calls.map((call) => call.authorization))).to.deep.equal(new Set(['Bearer user-token']));
    expect(calls.some((call) => call.path.endsWith('/log'))).to.equal(false);
    forbidPods = true;
    expect((await instanceUsage(caller, source, app, process)).size).to.equal(0);
  });

  it('gives a caller whose roles may not list the pods nothing from them', async () => {
    forbidPods = true;
    expect(await source.envelopes(target(), window({ types: new Set(['LOG', 'GAUGE']) }))).to.deep.equal([]);
  });

  it('reads RFC 3339 timestamps to the nanosecond and Kubernetes quantities', () => {
    expect(timestampedLine('2026-12-05T10:00:00.5+01:00 hi there')).to.deep.equal({
      timestampNs: ns('2026-12-05T09:00:00.5Z'),
      text: 'hi there',
    });
    expect(timestampedLine('2026-12-05T10:00:00Z')).to.deep.equal({ timestampNs: ns('2026-12-05T10:00:00Z'), text: '' });
    expect(timestampedLine('garbage')).to.equal(undefined);
    expect(quantity('250m')).to.equal(0.25);
    expect(quantity('1')).to.equal(1);
    expect(quantity('2Ki')).to.equal(2048);
    expect(quantity('3M')).to.equal(3e6);
    expect(quantity(undefined)).to.equal(0);
    expect(quantity('12x')).to.equal(0);
  });
});
