import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import yazl from 'yazl';
import { readKubeconfigUser } from '../test/support/test-server.ts';
import { printSummaries, roundCount, summarize, type Sample } from './rounds.ts';
import { printSetup, storageOf } from './setup.ts';
import { callApi, rssKbOf, startBenchServer, stopBenchServer, type BenchServer, type Headers } from './api-server.ts';

/**
 * `npm run bench:upload`: a package upload through the API of the embedded server, started as its own
 * process (`node src/start.js`, as `npm start`), the way the cf CLI pushes an app:
 *
 * - first push: `POST /v3/packages/{guid}/upload` with the `resources` field (empty) then the `bits`
 *   part (`package.zip`, about `--megabytes` MB, default 200): a few thousand files of varied sizes,
 *   half of the bytes text that compresses as source code does, half random; deflated, each file
 *   followed by a data descriptor, as the CLI writes them;
 * - second push of the same files right after: `POST /v3/resource_matches`, then an upload whose
 *   `resources` field names the matched files and whose zip holds only the files not matched (none
 *   when the cache already holds them all).
 *
 * Each round starts a new server on a new data directory. Prints MB/s (zip bytes over the time from
 * the first byte sent to the answer, which comes once the package is Ready) and the server's RSS
 * (VmRSS from /proc, sampled every 20 ms): before the upload, its peak, and after it. Target (issue
 * 10): ≥ 100 MB/s with RSS growth ≤ 64 MB. Also the server's CPU time (user + system, from
 * /proc) over each push, a steadier figure than MB/s on a machine shared with other work. Asserts nothing.
 *
 * Flags: --megabytes (default 200), --rounds (or BENCH_ROUNDS; default 3), --dir (default the OS
 * temporary directory), --cpu-prof DIR (the server writes a V8 CPU profile there on exit), --node-args
 * '...' (Node options for the server, e.g. '--max-semi-space-size=2'); with BENCH_SERVER_STDERR set, the
 * server's stderr is shown.
 */
const { values } = parseArgs({
  options: {
    megabytes: { type: 'string', default: '200' },
    rounds: { type: 'string' },
    dir: { type: 'string', default: tmpdir() },
    'cpu-prof': { type: 'string' },
    'node-args': { type: 'string' },
  },
});
const rounds = roundCount(values.rounds, 3);
const workDir = await mkdtemp(join(values.dir, 'cfapi-upload-bench-'));

type AppFile = { path: string; sha1: string; size: number; content: Buffer };

const words = 'const let function return if else for while import export from class new this await async value index result error'.split(
  ' ',
);

/** Text like source code: lines of words and numbers, which deflate to about a sixth. */
function textOf(size: number, seed: number): Buffer {
  const lines: string[] = [];
  let length = 0;
  let state = seed + 1;
  while (length < size) {
    const parts: string[] = [];
    for (let word = 0; word < 8; word++) {
      state = (state * 1103515245 + 12345) >>> 0;
      parts.push(state % 3 === 0 ? String(state % 100000) : words[state % words.length]!);
    }
    const line = `  ${parts.join(' ')};\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, size);
}

/** The app: files of 4 KiB to 252 KiB, every other one text, the others random, until the zip is about the size asked for. */
function appFiles(megabytes: number): AppFile[] {
  // Text deflates to about a sixth: a zip of M MB holds about 1.7 M MB of files, half of them text.
  const targetBytes = megabytes * 1e6 * 1.72;
  const files: AppFile[] = [];
  let total = 0;
  for (let index = 0; total < targetBytes; index++) {
    const size = 4096 * (1 + ((index * 37) % 63));
    const content = index % 2 === 0 ? textOf(size, index) : randomBytes(size);
    files.push({
      path: `app/dir${index % 40}/sub${index % 7}/file${index}.${index % 2 === 0 ? 'js' : 'bin'}`,
      sha1: createHash('sha1').update(content).digest('hex'),
      size,
      content,
    });
    total += size;
  }
  return files;
}

/** The zip as the cf CLI writes it (Go's archive/zip): deflated files, each with a data descriptor after its data. */
async function writeZip(file: string, files: readonly AppFile[]): Promise<number> {
  const zip = new yazl.ZipFile();
  for (const appFile of files) zip.addReadStream(Readable.from([appFile.content]), appFile.path, { mode: 0o100644, compress: true });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
  return (await stat(file)).size;
}

const rssMbOf = (pid: number): number => rssKbOf(pid) / 1024;

/** `--cpu-prof` for the server of a round, when asked for. */
const profileArgs = (round: number): string[] =>
  values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`, `--cpu-prof-name=upload-${round}.cpuprofile`] : [];

/** The CPU time (user + system) the process has used so far, in seconds (clock ticks of 1/100 s). */
const cpuSecondsOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

const boundary = 'uploadbenchboundary';

/**
 * The multipart body as the cf CLI sends it: the resources field first, then the zip as `bits`
 * (package.zip). The zip is sent from memory in views of 1 MiB: read from the file a new buffer each
 * time, it costs this process about a second of CPU (mostly collecting those buffers), taken from the
 * server on a 2-core machine, where the CLI copies through one small buffer.
 */
function multipart(resources: string, zip: Buffer | undefined): Readable {
  async function* parts(): AsyncGenerator<Buffer> {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="resources"\r\n\r\n${resources}\r\n`);
    if (zip) {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="bits"; filename="package.zip"\r\nContent-Type: application/zip\r\n\r\n`,
      );
      for (let offset = 0; offset < zip.length; offset += 1024 * 1024) yield zip.subarray(offset, offset + 1024 * 1024);
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return Readable.from(parts());
}

async function upload(url: string, headers: Headers, packageGuid: string, body: Readable): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${url}/v3/packages/${packageGuid}/upload`,
      { method: 'POST', headers: { ...headers, 'Content-Type': `multipart/form-data; boundary=${boundary}` } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if ((response.statusCode ?? 500) >= 300) reject(new Error(`upload: ${response.statusCode} ${text}`));
          else resolve(JSON.parse(text) as Record<string, unknown>);
        });
      },
    );
    outgoing.on('error', reject);
    body.on('error', reject);
    body.pipe(outgoing);
  });
}

type Measured = { seconds: number; cpuSeconds: number; rssBefore: number; rssPeak: number; rssAfter: number };

/** Runs `work` while sampling the server's RSS every 20 ms. */
async function measured(pid: number, work: () => Promise<unknown>): Promise<Measured> {
  const rssBefore = rssMbOf(pid);
  const cpuBefore = cpuSecondsOf(pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMbOf(pid))), 20);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  const rssAfter = rssMbOf(pid);
  return { seconds, cpuSeconds: cpuSecondsOf(pid) - cpuBefore, rssBefore, rssPeak: Math.max(rssPeak, rssAfter), rssAfter };
}

async function newPackage(server: BenchServer, headers: Headers, appGuid: string): Promise<string> {
  const created = await callApi(server.url, headers, {
    method: 'POST',
    path: '/v3/packages',
    body: {
      type: 'bits',
      relationships: { app: { data: { guid: appGuid } } },
    },
  });
  return created['guid'] as string;
}

const files = appFiles(Number(values.megabytes));
const zipFile = join(workDir, 'app.zip');
const zipBytes = await writeZip(zipFile, files);
const uncompressed = files.reduce((total, file) => total + file.size, 0);
printSetup('upload-bench: POST /v3/packages/{guid}/upload through the API (embedded backend)', {
  upload: `${(zipBytes / 1e6).toFixed(1)} MB zip of ${files.length} files (${(uncompressed / 1e6).toFixed(0)} MB unpacked; half the bytes text, half random; deflated as the cf CLI does)`,
  server: 'node src/start.js (as npm start), log level warn, a new data directory each round',
  'data directory': storageOf(workDir),
  rounds: String(rounds),
});

const samples: Sample[][] = [];
try {
  for (let round = 0; round < rounds; round += 1) {
    const dataDir = await mkdtemp(join(workDir, 'data-'));
    const server = await startBenchServer(dataDir, {
      nodeArgs: [...(values['node-args']?.split(' ').filter(Boolean) ?? []), ...profileArgs(round)],
      showStderr: Boolean(process.env['BENCH_SERVER_STDERR']),
    });
    const pid = server.child.pid!;
    try {
      const admin = await readKubeconfigUser(join(dataDir, 'kubeconfig'), 'admin');
      const headers = { Authorization: `Bearer ${admin.token}` };
      const org = await callApi(server.url, headers, { method: 'POST', path: '/v3/organizations', body: { name: 'bench-org' } });
      const space = await callApi(server.url, headers, {
        method: 'POST',
        path: '/v3/spaces',
        body: {
          name: 'bench-space',
          relationships: { organization: { data: { guid: org['guid'] } } },
        },
      });
      const app = await callApi(server.url, headers, {
        method: 'POST',
        path: '/v3/apps',
        body: {
          name: 'bench-app',
          relationships: { space: { data: { guid: space['guid'] } } },
        },
      });
      const appGuid = app['guid'] as string;

      const firstPackage = await newPackage(server, headers, appGuid);
      const zipContent = readFileSync(zipFile);
      const first = await measured(pid, () => upload(server.url, headers, firstPackage, multipart('[]', zipContent)));

      const secondPackage = await newPackage(server, headers, appGuid);
      let matchedCount = 0;
      const second = await measured(pid, async () => {
        const fingerprints = files.map((file) => ({ sha1: file.sha1, size: file.size }));
        const matches = await callApi(server.url, headers, {
          method: 'POST',
          path: '/v3/resource_matches',
          body: {
            resources: fingerprints.map((file) => ({ checksum: { value: file.sha1 }, size_in_bytes: file.size })),
          },
        });
        const held = new Set((matches['resources'] as { checksum: { value: string } }[]).map((resource) => resource.checksum.value));
        matchedCount = files.filter((file) => held.has(file.sha1)).length;
        const matched = files.filter((file) => held.has(file.sha1));
        const rest = files.filter((file) => !held.has(file.sha1));
        const resources = JSON.stringify(matched.map((file) => ({ fn: file.path, sha1: file.sha1, size: file.size, mode: '644' })));
        let restZip: string | undefined;
        if (rest.length > 0) {
          restZip = join(workDir, `rest-${round}.zip`);
          await writeZip(restZip, rest);
        }
        await upload(server.url, headers, secondPackage, multipart(resources, restZip === undefined ? undefined : readFileSync(restZip)));
      });
      const mbps = (measurement: Measured): number => zipBytes / 1e6 / measurement.seconds;
      samples.push([
        { name: 'first push: MB/s (zip bytes, until the Ready answer)', value: mbps(first), unit: 'MB/s' },
        { name: 'first push: server CPU time (user + system)', value: first.cpuSeconds, unit: 's' },
        { name: 'first push: server RSS before', value: first.rssBefore, unit: 'MB' },
        { name: 'first push: server RSS peak', value: first.rssPeak, unit: 'MB' },
        { name: 'first push: server RSS after', value: first.rssAfter, unit: 'MB' },
        { name: 'first push: server RSS growth (peak - before)', value: first.rssPeak - first.rssBefore, unit: 'MB' },
        { name: 'second push: files matched right after the first', value: matchedCount, unit: `of ${files.length}` },
        { name: 'second push: MB/s (same zip bytes, matches + upload)', value: mbps(second), unit: 'MB/s' },
        { name: 'second push: server CPU time (user + system)', value: second.cpuSeconds, unit: 's' },
        { name: 'second push: server RSS growth (peak - before)', value: second.rssPeak - second.rssBefore, unit: 'MB' },
      ]);
      process.stdout.write(
        `  round ${round + 1}: first ${mbps(first).toFixed(1)} MB/s (server CPU ${first.cpuSeconds.toFixed(1)} s), RSS ${first.rssBefore.toFixed(0)} → peak ${first.rssPeak.toFixed(0)} → ${first.rssAfter.toFixed(0)} MB; ` +
          `second ${mbps(second).toFixed(1)} MB/s (CPU ${second.cpuSeconds.toFixed(1)} s), ${matchedCount}/${files.length} matched\n`,
      );
    } finally {
      await stopBenchServer(server);
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  printSummaries(summarize(samples));
} finally {
  await rm(workDir, { recursive: true, force: true });
}
