import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A complete file written under a temporary name, waiting to be renamed into place or discarded. */
export type WrittenTemporaryFile = {
  readonly path: string;
  /** Hex digest of the content, with the algorithm asked for. */
  readonly digest: string;
  readonly sizeBytes: number;
  /** Renames it to `target` (same directory, so the rename is atomic and the file appears whole). */
  moveTo(target: string): Promise<void>;
  discard(): Promise<void>;
};

/** The prefix of every temporary file, so a start can sweep what a killed process left. */
export const temporaryPrefix = '.tmp-';

/**
 * Writes `content` to a new 0600 file in `directory`, hashing it on the way. When the stream fails the
 * file is removed before the error is rethrown, so nothing partial is ever left.
 */
export async function writeTemporaryFile(
  directory: string,
  content: Readable,
  algorithm: 'sha256' | 'sha1',
): Promise<WrittenTemporaryFile> {
  const path = join(directory, `${temporaryPrefix}${randomBytes(12).toString('hex')}`);
  const hash = createHash(algorithm);
  let sizeBytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      callback(null, chunk);
    },
  });
  try {
    await pipeline(content, measure, createWriteStream(path, { flags: 'wx', mode: 0o600, highWaterMark: 1024 * 1024 }));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  const digest = hash.digest('hex');
  return {
    path,
    digest,
    sizeBytes,
    moveTo: (target) => rename(path, target),
    discard: () => rm(path, { force: true }),
  };
}

/**
 * Takes over an existing complete file as a temporary file of `directory`: hashes it (unless its
 * digest is given: one computed while the file was written), then renames it there (no copy), or
 * copies it when it lives on another filesystem and removes the original.
 */
export async function adoptTemporaryFile(
  directory: string,
  file: string,
  algorithm: 'sha256' | 'sha1',
  knownDigest?: string,
): Promise<WrittenTemporaryFile> {
  const digest = knownDigest ?? (await digestOf(file, algorithm));
  const path = join(directory, `${temporaryPrefix}${randomBytes(12).toString('hex')}`);
  try {
    await rename(file, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    const copied = await writeTemporaryFile(directory, createReadStream(file), algorithm);
    await rm(file, { force: true });
    return copied;
  }
  const { size } = await stat(path);
  return { path, digest, sizeBytes: size, moveTo: (target) => rename(path, target), discard: () => rm(path, { force: true }) };
}

async function digestOf(file: string, algorithm: 'sha256' | 'sha1'): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
