import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlane } from '../../scripts/control-plane/control-plane.ts';
import { newRoleBinding } from '../../src/domain/roles/role-binding.ts';
import { reconcilerLeaseName } from '../../src/reconcilers/index.ts';
import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { failed, KeepAliveClient, type LoadResult } from '../support/keep-alive-load.ts';
import { freePort, startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { TestLoadBalancer } from '../support/test-load-balancer.ts';
import { uniqueName } from '../store/fixture.ts';

const shutdownDelaySeconds = 2;
const shutdownTimeoutSeconds = 10;
/** The reconcilers' lease duration (src/reconcilers/index.ts): a hand-off must come well before it. */
const leaseDurationMs = 15_000;

/** Whether `wanted` appears in `seen` in this order, other entries between allowed. */
function isSubsequence(wanted: string[], seen: string[]): boolean {
  let next = 0;
  for (const entry of seen) if (entry === wanted[next]) next++;
  return next === wanted.length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Replica = { name: string; process: ServerProcess; pid: number; exited: Promise<{ code: number | null; atMs: number }> };

/**
 * A rolling restart of two replicas of the real server (`npm start -- --backend kubernetes
 * --reconcilers`, the scripted runtime) on the real control plane, behind a load balancer that acts as
 * a Service's endpoints (round-robin over ready replicas, readiness from `/readyz` probed every second, a
 * terminating replica taken out a second late) and never retries, under keep-alive clients that never retry either:
 * not one request may fail while each replica in turn is sent SIGTERM, exits and is started again.
 */
describe('a rolling restart of two replicas under load (real kube-apiserver)', function () {
  this.timeout(10 * 60_000);
  let controlPlane: ControlPlane;
  let balancer: TestLoadBalancer;
  let store: KubernetesStore;
  const rootNamespace = uniqueName('cf-rolling');
  const replicas = new Map<string, Replica>();
  const leaseHistory: { holder: string; atMs: number }[] = [];
  let leaseWatch: NodeJS.Timeout | undefined;
  let headers: Record<string, string>;
  let spaceGuid: string;
  let orgGuid: string;
  /** The loads running: a failed test's load is stopped after it, so that nothing outlives the suite. */
  const loads = new Set<() => Promise<void>>();

  async function configFile(delaySeconds: number): Promise<string> {
    const file = join(await mkdtemp(join(tmpdir(), 'cf-rolling-config-')), 'config.yaml');
    await writeFile(file, `shutdownDelaySeconds: ${delaySeconds}\nshutdownTimeoutSeconds: ${shutdownTimeoutSeconds}\n`);
    return file;
  }

  /** Starts a replica as a pod would run it and adds it to the balancer (it gets requests once ready). */
  async function startReplica(name: string, delaySeconds = shutdownDelaySeconds): Promise<Replica> {
    const port = await freePort();
    const process = await startServerProcess(
      {
        CFAPI_LISTEN_PORT: String(port),
        CFAPI_LOG_LEVEL: 'info',
        CFAPI_DATA_DIR: await mkdtemp(join(tmpdir(), 'cf-rolling-')),
        CFAPI_ROOT_NAMESPACE: rootNamespace,
        CFAPI_APP_RUNTIME: 'scripted',
        CFAPI_CONFIG: await configFile(delaySeconds),
      },
      ['--backend', 'kubernetes', '--kubeconfig', controlPlane.kubeconfigFile, '--reconcilers'],
    );
    const exited = new Promise<{ code: number | null; atMs: number }>((resolve) =>
      process.child.once('exit', (code) => resolve({ code, atMs: Date.now() })),
    );
    const replica = { name, process, pid: process.child.pid!, exited };
    replicas.set(name, replica);
    balancer.add(name, `http://127.0.0.1:${port}`);
    await balancer.waitUntilReady(name);
    return replica;
  }

  /** What a pod deletion does: the endpoint goes (a second late), and the container gets SIGTERM at once. */
  async function terminate(replica: Replica, removalLagMs?: number): Promise<{ code: number | null; afterMs: number }> {
    const sentMs = Date.now();
    balancer.terminating(replica.name, removalLagMs);
    replica.process.child.kill('SIGTERM');
    const { code, atMs } = await replica.exited;
    return { code, afterMs: atMs - sentMs };
  }

  const holderOf = (replica: Replica) => leaseHistory.findLast(() => true)?.holder.includes(`-${replica.pid}-`) ?? false;

  async function waitForLeader(replica: Replica, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!holderOf(replica)) {
      if (Date.now() > deadline) throw new Error(`${replica.name} did not lead within ${timeoutMs} ms: ${JSON.stringify(leaseHistory)}`);
      await sleep(50);
    }
  }

  before(async function () {
    this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
    controlPlane = await sharedControlPlane();
    store = new KubernetesStore(adminKubeConfig(controlPlane));
    const alice = controlPlane.tokenUsers.find((user) => user.name === 'token-alice')!;
    headers = { Authorization: `Bearer ${alice.token}` };
    // Readiness as the kubelet decides it at its shortest period (every second, out after 3 failures in
    // a row): a draining replica leaves when the endpoint lag has run out, not earlier thanks to a fast
    // probe, so the test shows whether the shutdown delay covers that lag.
    balancer = await TestLoadBalancer.start({ probeIntervalMs: 1000, failureThreshold: 3, removalLagMs: 1000 });
    const first = await startReplica('r1');
    await store.privileged().create(newRoleBinding('admin', alice.name, rootNamespace));
    // The lease as the cluster sees it, every 100 ms: who leads the reconcilers, and since when.
    leaseWatch = setInterval(() => {
      void store
        .privileged()
        .get({ kind: 'Lease', namespace: rootNamespace, name: reconcilerLeaseName })
        .then((lease) => {
          const holder = lease.spec?.holderIdentity ?? '';
          if (leaseHistory.at(-1)?.holder !== holder) leaseHistory.push({ holder, atMs: Date.now() });
        })
        .catch(() => undefined);
    }, 100);
    await waitForLeader(first);
    await startReplica('r2');
    const setup = new KeepAliveClient('setup', balancer.url, headers, []);
    const org = (await setup.call('POST', '/v3/organizations', [201], { body: { name: uniqueName('rolling-org') } })) as { guid: string };
    orgGuid = org.guid;
    const space = (await setup.call('POST', '/v3/spaces', [201], {
      body: { name: 'load', relationships: { organization: { data: { guid: orgGuid } } } },
    })) as { guid: string };
    spaceGuid = space.guid;
    setup.close();
  });

  afterEach(async () => {
    await Promise.all([...loads].map((stop) => stop()));
  });

  after(async () => {
    clearInterval(leaseWatch);
    for (const replica of replicas.values()) if (replica.process.child.exitCode === null) replica.process.child.kill('SIGTERM');
    await Promise.all([...replicas.values()].map((replica) => replica.exited));
    await balancer?.close();
    await store?.close();
  });

  /**
   * Keep-alive clients, each one request at a time until `stop`: app writes and reads (create, list,
   * update, get, delete), a space's create (which waits for the space controller, so for the leader),
   * rename and delete, and plain reads.
   */
  function startLoad(results: LoadResult[], readers = 1): { stop: () => Promise<void> } {
    let running = true;
    const loops: Promise<void>[] = [];
    const stop = async () => {
      running = false;
      loads.delete(stop);
      await Promise.all(loops);
    };
    loads.add(stop);
    for (let index = 0; index < 4; index++) {
      const client = new KeepAliveClient(`apps-${index}`, balancer.url, headers, results);
      loops.push(
        (async () => {
          for (let round = 0; running; round++) {
            const app = (await client.call('POST', '/v3/apps', [201], {
              body: { name: uniqueName(`load-${index}`), relationships: { space: { data: { guid: spaceGuid } } } },
            })) as { guid: string } | undefined;
            await client.call('GET', `/v3/apps?space_guids=${spaceGuid}&per_page=10`, [200]);
            if (!app) continue;
            await client.call('PATCH', `/v3/apps/${app.guid}`, [200], { body: { metadata: { labels: { round: String(round) } } } });
            await client.call('GET', `/v3/apps/${app.guid}`, [200]);
            await client.call('DELETE', `/v3/apps/${app.guid}`, [202]);
          }
          client.close();
        })(),
      );
    }
    const spaces = new KeepAliveClient('spaces', balancer.url, headers, results);
    loops.push(
      (async () => {
        while (running) {
          const space = (await spaces.call('POST', '/v3/spaces', [201], {
            body: { name: uniqueName('load-space'), relationships: { organization: { data: { guid: orgGuid } } } },
          })) as { guid: string } | undefined;
          if (!space) continue;
          await spaces.call('PATCH', `/v3/spaces/${space.guid}`, [200], { body: { name: uniqueName('renamed') } });
          await spaces.call('DELETE', `/v3/spaces/${space.guid}`, [202]);
        }
        spaces.close();
      })(),
    );
    for (let index = 0; index < readers; index++) {
      const reader = new KeepAliveClient(`reader-${index}`, balancer.url, headers, results);
      loops.push(
        (async () => {
          while (running) {
            await reader.call('GET', '/v3/organizations', [200]);
            await reader.call('GET', '/v3/info', [200]);
            await reader.call('GET', '/whoami', [200]);
          }
          reader.close();
        })(),
      );
    }
    return { stop };
  }

  /** Requests that take longer than the shutdown delay, pinned to `replica` just before it gets SIGTERM. */
  function slowRequests(replica: Replica, results: LoadResult[]): Promise<unknown[]> {
    return Promise.all(
      [0, 1].map((index) => {
        const client = new KeepAliveClient(`slow-${replica.name}-${index}`, balancer.url, headers, results);
        return client
          .call('POST', '/v3/apps', [201], {
            headers: { 'X-LB-Pin': replica.name },
            body: { name: uniqueName(`slow-${replica.name}`), relationships: { space: { data: { guid: spaceGuid } } } },
            // About 3.5 s: past the 2 s delay, into the time the server no longer accepts connections.
            slowBody: { pieces: 15, intervalMs: 250 },
          })
          .finally(() => client.close());
      }),
    );
  }

  function describeFailures(results: LoadResult[]): string {
    const failures = results.filter(failed);
    return `${failures.length} of ${results.length} failed:\n${failures
      .slice(0, 20)
      .map(
        (result) =>
          `  ${result.client} ${result.method} ${result.path} → ${result.status ?? result.error} (${result.endpoint ?? '?'}) ${result.body?.slice(0, 200) ?? ''}`,
      )
      .join('\n')}\nbalancer: ${JSON.stringify(balancer.failures.slice(0, 10))}`;
  }

  it('drops no request while each replica in turn is stopped with SIGTERM and started again; leadership moves and comes back', async () => {
    const results: LoadResult[] = [];
    const load = startLoad(results);
    await sleep(2000);

    const restarts: { name: string; code: number | null; afterMs: number; slow: unknown[] }[] = [];
    for (const [old, next] of [
      ['r1', 'r1b'],
      ['r2', 'r2b'],
    ] as const) {
      const replica = replicas.get(old)!;
      const slow = slowRequests(replica, results);
      await sleep(500); // both are in flight, headers sent, bodies arriving
      const { code, afterMs } = await terminate(replica);
      restarts.push({ name: old, code, afterMs, slow: await slow });
      // It went on answering after SIGTERM until the balancer left it, each answer closing its connection.
      expect(balancer.counts(old).closing, `${old} answered while draining`).to.be.greaterThan(0);
      await startReplica(next);
      await sleep(2500); // the restarted replica takes its share of the load
      expect(balancer.counts(next).answered, `${next} serves`).to.be.greaterThan(0);
    }
    await load.stop();
    process.stderr.write(
      `      [${results.length} requests; answered by ${['r1', 'r2', 'r1b', 'r2b'].map((name) => `${name} ${balancer.counts(name).answered} (${balancer.counts(name).closing} closing)`).join(', ')}; exits after ${restarts.map((restart) => `${restart.afterMs} ms`).join(', ')}]\n`,
    );

    expect(results.filter(failed), describeFailures(results)).to.deep.equal([]);
    expect(balancer.failures).to.deep.equal([]);
    expect(results.length).to.be.greaterThan(100);
    for (const restart of restarts) {
      expect(restart.code, `${restart.name} exit code`).to.equal(0);
      expect(restart.afterMs, `${restart.name} exited within delay + timeout`).to.be.within(
        shutdownDelaySeconds * 1000,
        (shutdownDelaySeconds + shutdownTimeoutSeconds) * 1000,
      );
      // The slow requests were answered (201, by the replica being stopped).
      expect(restart.slow.map((app) => typeof (app as { guid?: unknown } | undefined)?.guid)).to.deep.equal(['string', 'string']);
    }
    for (const name of ['r1', 'r2']) {
      const slow = results.filter((result) => result.client.startsWith(`slow-${name}-`));
      expect(
        slow.map((result) => [result.status, result.endpoint]),
        `slow requests on ${name}`,
      ).to.deep.equal([
        [201, name],
        [201, name],
      ]);
      expect(Math.min(...slow.map((result) => result.durationMs))).to.be.greaterThan(shutdownDelaySeconds * 1000);
    }

    // Leadership: r1 led and released the lease on its way out, r2 took it within a couple of seconds
    // (not after the lease's 15 s), then the restarted r1 when r2 went.
    const [r1, r2, r1b] = (['r1', 'r2', 'r1b'] as const).map((name) => replicas.get(name)!) as [Replica, Replica, Replica];
    const holders = leaseHistory.map((entry) => ({
      atMs: entry.atMs,
      replica: [...replicas.values()].find((replica) => entry.holder.includes(`-${replica.pid}-`))?.name ?? entry.holder,
    }));
    expect(
      isSubsequence(
        ['r1', 'r2', 'r1b'],
        holders.map((entry) => entry.replica),
      ),
      JSON.stringify(holders),
    ).to.equal(true);
    for (const [from, to] of [
      [r1, r2],
      [r2, r1b],
    ] as const) {
      const lastHeld = holders.findLastIndex((entry) => entry.replica === from.name);
      const taken = holders.slice(lastHeld).find((entry) => entry.replica === to.name);
      expect(taken, JSON.stringify(holders)).to.not.equal(undefined);
      const { atMs: exitedMs } = await from.exited;
      process.stderr.write(`      [hand-off ${from.name} → ${to.name}: ${taken!.atMs - exitedMs} ms after ${from.name} exited]\n`);
      expect(taken!.atMs - exitedMs, `hand-off from ${from.name} to ${to.name} after ${from.name} exited`)
        .to.be.below(5000)
        .and.below(leaseDurationMs);
    }

    // The shutdown's log lines, in order.
    const lines = r1.process
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(
      isSubsequence(
        [
          'shutting down',
          'draining: still serving, /readyz failing, responses close their connections',
          'no longer accepting connections; waiting for requests in flight',
          'every connection closed',
          'no longer leading: stopping the reconcilers',
          'released the reconciler lease',
          'stopped',
        ],
        lines,
      ),
      lines.filter((line) => line !== 'request').join('\n'),
    ).to.equal(true);
  });

  it('drops requests when the server stops accepting at once (shutdownDelaySeconds 0): the check above can fail', async () => {
    const eager = await startReplica('eager', 0);
    const results: LoadResult[] = [];
    // More readers than above, so that many requests reach the replica in the moment before it is out.
    const load = startLoad(results, 4);
    await sleep(3000);
    expect(balancer.counts('eager').answered, JSON.stringify(balancer.transitions)).to.be.greaterThan(0);
    // A longer endpoint lag than above (5 s): a replica just started may be busy with its first lists and
    // take a while to handle SIGTERM; the drops must not depend on it doing so within 1 s.
    const { code } = await terminate(eager, 5000);
    await sleep(5500);
    await load.stop();
    expect(code).to.equal(0);
    const dropped = results.filter(failed);
    process.stderr.write(
      `      [${dropped.length} of ${results.length} requests failed, e.g. ${dropped[0]?.status ?? dropped[0]?.error}]\n`,
    );
    expect(dropped.length, `${describeFailures(results)}\n${JSON.stringify(balancer.transitions)}`).to.be.greaterThan(0);
    expect(dropped.every((result) => result.endpoint === 'eager')).to.equal(true);
    expect(balancer.failures.every((failure) => failure.endpoint === 'eager')).to.equal(true);
  });
});
