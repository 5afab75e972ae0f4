import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import yazl from 'yazl';
import { openEmbeddedBitsStore, uploadSpoolDirectory } from '../src/bits/embedded/embedded-bits-store.ts';
import { storeUploadedPackage, type PackageUploadSettings } from '../src/bits/upload/store-uploaded-package.ts';
import { printSummaries, roundCount, summarize, type Sample } from './rounds.ts';
import { printSetup, storageOf } from './setup.ts';

/**
 * `npm run bench:bits`: streams a package upload (a zip of about 200 MiB by default: files of 256
 * KiB, seven in eight random, one in eight text, all deflated as the cf CLI does) through the whole
 * upload path of the embedded bits store: multipart parsing, the zip checks (every file inflated and
 * counted, and kept in the resource-match cache) and the store. Then a second push of the same files,
 * all matched, so the package is rebuilt from the cache. Prints MB/s of the upload
 * and the process's RSS growth (peak over the round, sampled every 20 ms, minus the RSS before it);
 * target (issue 10): ≥ 100 MB/s with RSS growth ≤ 64 MB. Each round uses a new data directory.
 * Asserts nothing.
 *
 * Flags: --megabytes (default 200), --rounds (or BENCH_ROUNDS; default 3), --dir (default the OS
 * temporary directory).
 */
const { values } = parseArgs({
  options: {
    megabytes: { type: 'string', default: '200' },
    rounds: { type: 'string' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const fileBytes = 256 * 1024;
// Seven of eight files are random (deflating leaves them as large), one is text (deflating makes it tiny), so the zip is about the size asked for.
const fileCount = Math.ceil((Number(values.megabytes) * 1024 * 1024) / (fileBytes * (7 / 8 + 1 / 8 / 50)));
const rounds = roundCount(values.rounds, 3);
const workDir = await mkdtemp(join(values.dir, 'cfapi-bits-bench-'));

type AppFile = { path: string; sha1: string; size: number };

/** The app's zip, as the cf CLI would send it (deflated), written once before the rounds. */
async function writeAppZip(file: string): Promise<AppFile[]> {
  const zip = new yazl.ZipFile();
  const files: AppFile[] = [];
  const text = Buffer.from('const line = "an application source line that compresses like code does";\n'.repeat(fileBytes / 64)).subarray(
    0,
    fileBytes,
  );
  for (let index = 0; index < fileCount; index += 1) {
    const content =
      index % 8 !== 0
        ? randomBytes(fileBytes)
        : Buffer.concat([text.subarray(0, fileBytes - 8), Buffer.from(index.toString().padStart(8, '0'))]);
    const path = `app/dir${index % 20}/file${index}.bin`;
    files.push({ path, sha1: createHash('sha1').update(content).digest('hex'), size: content.length });
    zip.addBuffer(content, path, { mode: 0o100644, compress: true });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
  return files;
}

const boundary = 'benchboundary';
const headers = { 'content-type': `multipart/form-data; boundary=${boundary}` };

/** The upload body, streamed from disk: the resources field, then the zip as the `bits` part. */
function body(resources: string, zipFile: string | undefined): Readable {
  async function* parts(): AsyncGenerator<Buffer> {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="resources"\r\n\r\n${resources}\r\n`);
    if (zipFile) {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="bits"; filename="package.zip"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      );
      yield* createReadStream(zipFile, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>;
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return Readable.from(parts());
}

/** Runs `work`, returning its duration and the RSS growth over it (peak minus before). */
async function measured(work: () => Promise<unknown>): Promise<{ seconds: number; rssGrowthMb: number }> {
  globalThis.gc?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { seconds, rssGrowthMb: (peak - before) / 1e6 };
}

const zipFile = join(workDir, 'app.zip');
const files = await writeAppZip(zipFile);
const zipBytes = (await stat(zipFile)).size;
printSetup('bits-bench: a package upload through parse + check + store (embedded)', {
  upload: `${(zipBytes / 1e6).toFixed(1)} MB zip of ${fileCount} files of ${fileBytes / 1024} KiB (7 in 8 random, 1 in 8 text; all deflated, as the cf CLI does)`,
  'data directory': storageOf(workDir),
  rounds: String(rounds),
});

const samples: Sample[][] = [];
try {
  for (let round = 0; round < rounds; round += 1) {
    const dataDir = await mkdtemp(join(workDir, 'data-'));
    const store = await openEmbeddedBitsStore({ dataDir, resourceCacheBytes: 2 * zipBytes });
    const settings: PackageUploadSettings = {
      spoolDirectory: uploadSpoolDirectory(dataDir),
      maxUploadBytes: 2 * zipBytes,
      maxUncompressedBytes: 4 * zipBytes,
      maxEntries: fileCount + 10,
    };
    const first = await measured(() =>
      storeUploadedPackage(store, { ref: { appGuid: 'app', packageGuid: 'first' }, body: body('[]', zipFile), headers }, settings),
    );
    const matched = JSON.stringify(files.map((file) => ({ fn: file.path, sha1: file.sha1, size: file.size, mode: '644' })));
    const second = await measured(() =>
      storeUploadedPackage(store, { ref: { appGuid: 'app', packageGuid: 'second' }, body: body(matched, undefined), headers }, settings),
    );
    samples.push([
      { name: 'first push: upload streamed through parse, check, store', value: zipBytes / 1e6 / first.seconds, unit: 'MB/s' },
      { name: 'first push: RSS growth', value: first.rssGrowthMb, unit: 'MB' },
      { name: 'second push, every file matched: rebuilt from the cache', value: zipBytes / 1e6 / second.seconds, unit: 'MB/s' },
      { name: 'second push: RSS growth', value: second.rssGrowthMb, unit: 'MB' },
    ]);
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
    process.stdout.write(
      `  round ${round + 1}: ${(zipBytes / 1e6 / first.seconds).toFixed(1)} MB/s, RSS +${first.rssGrowthMb.toFixed(1)} MB\n`,
    );
  }
  printSummaries(summarize(samples));
} finally {
  await rm(workDir, { recursive: true, force: true });
}
