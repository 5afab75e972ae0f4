import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';

/**
 * Runs a read-modify-write of `file` while holding its lock (a `<file>.lock` directory, so it holds
 * across processes: `npm run user:add` beside a running server, or two of them at once). Without it two
 * writers each read the old file and the second write loses the first one's user. A lock left by a
 * process that died is taken over once it is 10 s old.
 */
export async function withFileLock<T>(file: string, update: () => Promise<T>): Promise<T> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const release = await lockfile.lock(file, { realpath: false, stale: 10_000, retries: { retries: 200, minTimeout: 10, maxTimeout: 100 } });
  try {
    return await update();
  } finally {
    await release();
  }
}

/** Replaces the file in one rename (a temporary file of its own per write), readable by its owner only. */
export function writePrivateFile(file: string, content: string): Promise<void> {
  return writeFileAtomic(file, content, { mode: 0o600 });
}
