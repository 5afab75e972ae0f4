import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { CertificateAuthority } from '../src/auth/certificate-authority.ts';
import { localIdentityPaths } from '../src/auth/embedded/local-identity.ts';
import { readKubeconfigUser } from '../test/support/test-server.ts';
import { printSummaries, roundCount, summarize, type Sample } from './rounds.ts';
import {
  callApi,
  clientCertHeader,
  inParallel,
  latencyP50,
  serverIdle,
  startBenchServer,
  stopBenchServer,
  type BenchServer,
  type Headers,
} from './api-server.ts';
import { printSetup, storageOf } from './setup.ts';

/**
 * `npm run bench:routes`: the route endpoints and manifest apply of the embedded server, started as
 * its own process by `npm start`'s entry:
 *
 * - seeds `--routes` routes (default 10,000) on the default domain in `--spaces` spaces (default 100)
 *   of one org, through the API (`POST /v3/routes`, 8 in flight), and a space developer of the first
 *   10 spaces;
 * - once the server is idle (the route controller's first pass over the routes is over): `GET
 *   /v3/routes?per_page=50` latency (p50, one request at a time) as the admin and as that developer;
 * - applying a manifest of `--apps` apps (default 20; each with env, a web process with instances and
 *   memory, a route on the default domain) to a space of its own: the time from `POST
 *   /v3/spaces/{guid}/actions/apply_manifest` (YAML, as the cf CLI sends it) to the job it points to
 *   answering COMPLETE, in `--rounds` rounds (default 5, or BENCH_ROUNDS), each with new app names
 *   (everything created), then the same manifest applied again (nothing changes).
 *
 * Issue 11's targets: list p50 ≤ 5 ms; a 20-app manifest applied ≤ 1 s. Prints figures, asserts nothing.
 *
 * Flags: --routes, --spaces, --apps, --rounds, --data-dir (default the OS temporary directory),
 * --keep (keep the seeded data directory, its path is printed), --reuse DIR (measure on a data
 * directory a `--keep` run seeded, instead of seeding a new one).
 */
const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: '10000' },
    spaces: { type: 'string', default: '100' },
    apps: { type: 'string', default: '20' },
    rounds: { type: 'string' },
    'data-dir': { type: 'string', default: tmpdir() },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
  },
});
const routeCount = Number(values.routes);
const spaceCount = Number(values.spaces);
const manifestApps = Number(values.apps);
const rounds = roundCount(values.rounds);
const developerName = 'bench-developer';

/** The org (made or found), its default domain's guid and name. */
async function orgAndDomain(
  url: string,
  admin: Headers,
  reused: boolean,
): Promise<{ orgGuid: string; domainGuid: string; domainName: string }> {
  const org = reused
    ? (
        (await callApi(url, admin, { method: 'GET', path: '/v3/organizations?names=bench-org' }))['resources'] as Record<string, unknown>[]
      )[0]!
    : await callApi(url, admin, { method: 'POST', path: '/v3/organizations', body: { name: 'bench-org' } });
  const domains = (await callApi(url, admin, { method: 'GET', path: '/v3/domains?per_page=1' }))['resources'] as {
    guid: string;
    name: string;
  }[];
  return { orgGuid: org['guid'] as string, domainGuid: domains[0]!.guid, domainName: domains[0]!.name };
}

async function createSpace(url: string, admin: Headers, orgGuid: string, name: string): Promise<string> {
  const space = await callApi(url, admin, {
    method: 'POST',
    path: '/v3/spaces',
    body: { name, relationships: { organization: { data: { guid: orgGuid } } } },
  });
  return space['guid'] as string;
}

/** The spaces, the routes spread over them (through the API), and a space developer of the first 10 spaces. */
async function seedRoutes(url: string, admin: Headers, orgGuid: string, domainGuid: string): Promise<void> {
  const spaceGuids: string[] = [];
  for (let index = 0; index < spaceCount; index++) spaceGuids.push(await createSpace(url, admin, orgGuid, `space-${index}`));
  const began = performance.now();
  await inParallel(routeCount, 8, (index) =>
    callApi(url, admin, {
      method: 'POST',
      path: '/v3/routes',
      body: {
        host: `route-${index}`,
        relationships: { space: { data: { guid: spaceGuids[index % spaceCount] } }, domain: { data: { guid: domainGuid } } },
      },
    }),
  );
  process.stdout.write(`  seeded ${routeCount} routes in ${spaceCount} spaces in ${((performance.now() - began) / 1000).toFixed(1)} s\n`);
  const user = { username: developerName };
  await callApi(url, admin, {
    method: 'POST',
    path: '/v3/roles',
    body: { type: 'organization_user', relationships: { user: { data: user }, organization: { data: { guid: orgGuid } } } },
  });
  for (const spaceGuid of spaceGuids.slice(0, 10))
    await callApi(url, admin, {
      method: 'POST',
      path: '/v3/roles',
      body: { type: 'space_developer', relationships: { user: { data: user }, space: { data: { guid: spaceGuid } } } },
    });
}

/** A manifest of `manifestApps` apps named `${prefix}-N`, each with env, a web process and a route on the domain. */
function manifestOf(prefix: string, domainName: string): string {
  return stringify({
    version: 1,
    applications: Array.from({ length: manifestApps }, (_, index) => ({
      name: `${prefix}-${index}`,
      env: { GREETING: 'hello', INDEX: String(index), LOG_LEVEL: 'info' },
      processes: [{ type: 'web', instances: 2, memory: '256M', 'health-check-type': 'port' }],
      routes: [{ route: `${prefix}-${index}.${domainName}` }],
    })),
  });
}

/** Applies the manifest as the cf CLI does and follows its job to COMPLETE: the ms from the POST to that answer. */
async function applyManifest(url: string, admin: Headers, spaceGuid: string, manifest: string): Promise<number> {
  const began = performance.now();
  const response = await fetch(`${url}/v3/spaces/${spaceGuid}/actions/apply_manifest`, {
    method: 'POST',
    headers: { ...admin, 'Content-Type': 'application/x-yaml' },
    body: manifest,
  });
  if (response.status !== 202) throw new Error(`apply_manifest: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  const location = response.headers.get('location') ?? '';
  const jobPath = location.slice(location.indexOf('/v3/jobs/'));
  for (;;) {
    const job = await callApi(url, admin, { method: 'GET', path: jobPath });
    if (job['state'] === 'COMPLETE') return performance.now() - began;
    if (job['state'] === 'FAILED') throw new Error(`apply_manifest job FAILED: ${JSON.stringify(job['errors'])}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function main(): Promise<void> {
  const reused = values.reuse;
  const dataDir = reused ?? (await mkdtemp(join(values['data-dir'], 'cfapi-routes-bench-')));
  printSetup('Routes benchmark (embedded backend)', {
    data: `${reused ? 'as seeded before' : `${routeCount} routes in ${spaceCount} spaces`}, data directory ${storageOf(dataDir)}`,
    server: 'node src/start.js (as npm start), log level warn; requests from this process',
  });
  const server: BenchServer = await startBenchServer(dataDir);
  try {
    const admin = await readKubeconfigUser(join(dataDir, 'kubeconfig'), 'admin');
    const adminHeaders = { Authorization: `Bearer ${admin.token}` };
    const ca = await CertificateAuthority.loadOrCreate(localIdentityPaths(dataDir).authDir);
    const developer = clientCertHeader(await ca.issueClientCertificate(developerName));
    const { orgGuid, domainGuid, domainName } = await orgAndDomain(server.url, adminHeaders, reused !== undefined);
    if (reused) {
      const page = await callApi(server.url, adminHeaders, { method: 'GET', path: '/v3/routes?per_page=1' });
      process.stdout.write(`  reusing ${(page['pagination'] as { total_results: number }).total_results} routes seeded before\n`);
    } else await seedRoutes(server.url, adminHeaders, orgGuid, domainGuid);
    const idleMs = await serverIdle(server.child.pid!);
    process.stdout.write(
      `  server idle ${(idleMs / 1000).toFixed(0)} s after ${reused ? 'start' : 'seeding'} (the route controller's first pass)\n`,
    );
    const list = '/v3/routes?per_page=50';
    const figures: Sample[] = [
      { name: `GET ${list} p50, admin (all routes)`, value: await latencyP50(server.url, adminHeaders, list, 200), unit: 'ms' },
      { name: `GET ${list} p50, developer of 10 spaces`, value: await latencyP50(server.url, developer, list, 200), unit: 'ms' },
    ];
    printSummaries(summarize([figures]));
    // A space of its own per run, so that a reused data directory starts the rounds empty too.
    const run = Date.now().toString(36);
    const spaceGuid = await createSpace(server.url, adminHeaders, orgGuid, `manifest-${run}`);
    const samples: Sample[][] = [];
    for (let round = 0; round < rounds; round++) {
      const manifest = manifestOf(`m${run}-${round}`, domainName);
      samples.push([
        {
          name: `apply a ${manifestApps}-app manifest, new apps (POST to job COMPLETE)`,
          value: await applyManifest(server.url, adminHeaders, spaceGuid, manifest),
          unit: 'ms',
        },
        {
          name: `apply the same manifest again (no changes)`,
          value: await applyManifest(server.url, adminHeaders, spaceGuid, manifest),
          unit: 'ms',
        },
      ]);
    }
    printSummaries(summarize(samples));
  } finally {
    await stopBenchServer(server).catch(() => undefined);
    if (values.keep || reused) process.stdout.write(`  kept the data directory ${dataDir}\n`);
    else await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
