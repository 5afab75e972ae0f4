import { Worker } from 'node:worker_threads';
import {
  workerSource,
  type WorkerFailure,
  type WorkerFile,
  type WorkerFileResult,
  type WorkerJob,
  type WorkerReply,
} from './zip-check-worker.ts';

/**
 * Checks `files` of the zip at `file` in `workers` worker threads (each takes a run of consecutive
 * files of about equal compressed bytes, so each reads its part of the file in order). Resolves with
 * each file's result in order; rejects with the first failure (its index into `files`), stopping the others.
 */
export async function checkFilesInWorkers(
  job: Omit<WorkerJob, 'files'> & { files: readonly WorkerFile[] },
  workers: number,
): Promise<WorkerFileResult[]> {
  const parts = split(job.files, workers);
  const running: Worker[] = [];
  try {
    const replies = await Promise.all(
      parts.map(({ from, files }) => {
        const worker = new Worker(workerSource, {
          eval: true,
          workerData: { ...job, files } satisfies WorkerJob,
          resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 16 },
        });
        running.push(worker);
        return replyOf(worker).then((reply) => {
          if ('failure' in reply) throw new WorkerCheckFailure({ ...reply.failure, index: from + reply.failure.index });
          return reply.results;
        });
      }),
    );
    return replies.flat();
  } finally {
    await Promise.all(running.map((worker) => worker.terminate()));
  }
}

/** A file a worker refused: `failure.index` is its index among all files checked. */
export class WorkerCheckFailure extends Error {
  override readonly name = 'WorkerCheckFailure';
  readonly failure: WorkerFailure;
  constructor(failure: WorkerFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

function replyOf(worker: Worker): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`The zip check worker exited with ${code} before it answered`)));
  });
}

/** Consecutive runs of about equal compressed bytes, one per worker. */
function split(files: readonly WorkerFile[], workers: number): { from: number; files: WorkerFile[] }[] {
  const total = files.reduce((sum, file) => sum + file.compressedSize, 0);
  const parts: { from: number; files: WorkerFile[] }[] = [];
  let current: { from: number; files: WorkerFile[] } = { from: 0, files: [] };
  let bytes = 0;
  for (const [index, file] of files.entries()) {
    if (current.files.length > 0 && bytes >= (total * (parts.length + 1)) / workers) {
      parts.push(current);
      current = { from: index, files: [] };
    }
    current.files.push(file);
    bytes += file.compressedSize;
  }
  if (current.files.length > 0) parts.push(current);
  return parts;
}
