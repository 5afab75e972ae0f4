import { createHash, randomBytes } from 'node:crypto';
import { readFile as readFileWithCallback, rmSync, writeFile as writeFileWithCallback } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { LRUCache } from 'lru-cache';
import type { FileFingerprint, ResourceCache } from '../bits-store.ts';
import { temporaryPrefix, writeTemporaryFile } from './temporary-file.ts';

const sha1Name = /^[0-9a-f]{40}$/;
// The callback API: a whole small file in one call costs a fraction of the promise API's FileHandle.
const writeWholeFile = promisify(writeFileWithCallback);
const readWholeFile = promisify(readFileWithCallback);
/** Files up to this size are read whole, in one piece, rather than streamed. */
const wholeFileBytes = 1024 * 1024;

/**
 * The resource-match cache of the embedded adapter: one 0600 file per content, `resources/<sha1>`,
 * indexed by an LRU bounded by the total of their sizes. Evicting forgets the file and removes it at
 * once (synchronously, so a file kept again under the same SHA-1 right after is never the one removed).
 */
export class FileResourceCache implements ResourceCache {
  readonly #directory: string;
  readonly #index: LRUCache<string, number>;

  constructor(directory: string, maxBytes: number) {
    this.#directory = directory;
    this.#index = new LRUCache<string, number>({
      maxSize: maxBytes,
      sizeCalculation: (sizeBytes) => sizeBytes,
      dispose: (_sizeBytes, sha1, reason) => {
        if (reason === 'evict' || reason === 'delete') rmSync(this.#pathOf(sha1), { force: true });
      },
    });
  }

  /**
   * Creates the directory, removes temporary files a killed process left, and indexes the files kept
   * before a restart (least recently written first, so what no longer fits is the oldest).
   */
  async prepare(): Promise<void> {
    await mkdir(this.#directory, { recursive: true, mode: 0o700 });
    const found: { sha1: string; sizeBytes: number; modified: number }[] = [];
    for (const name of await readdir(this.#directory)) {
      const path = join(this.#directory, name);
      if (!sha1Name.test(name)) {
        if (name.startsWith(temporaryPrefix)) await rm(path, { force: true });
        continue;
      }
      const info = await stat(path);
      found.push({ sha1: name, sizeBytes: info.size, modified: info.mtimeMs });
    }
    found.sort((a, b) => a.modified - b.modified);
    for (const file of found) this.#remember(file.sha1, file.sizeBytes);
  }

  async held(candidates: readonly FileFingerprint[]): Promise<FileFingerprint[]> {
    return candidates.filter((file) => this.#index.get(file.sha1) === file.sizeBytes);
  }

  async open(file: FileFingerprint): Promise<Readable | undefined> {
    if (this.#index.get(file.sha1) !== file.sizeBytes) return undefined;
    if (file.sizeBytes <= wholeFileBytes) {
      // Read at once, so that the content stays readable even if the file is evicted meanwhile.
      const content = await readWholeFile(this.#pathOf(file.sha1)).catch(() => undefined);
      if (!content) {
        this.#index.delete(file.sha1);
        return undefined;
      }
      return Readable.from([content], { objectMode: false });
    }
    // An open descriptor keeps the content readable even if the file is evicted meanwhile.
    const handle = await open(this.#pathOf(file.sha1), 'r').catch(() => undefined);
    if (!handle) {
      this.#index.delete(file.sha1);
      return undefined;
    }
    return handle.createReadStream();
  }

  async keep(content: Readable): Promise<FileFingerprint | undefined> {
    const written = await writeTemporaryFile(this.#directory, content, 'sha1');
    const fingerprint = { sha1: written.digest, sizeBytes: written.sizeBytes };
    if (written.sizeBytes === 0 || written.sizeBytes > this.#index.maxSize || this.#index.has(written.digest)) {
      await written.discard();
      if (this.#index.get(written.digest) === written.sizeBytes) return fingerprint;
      return undefined;
    }
    await written.moveTo(this.#pathOf(written.digest));
    this.#remember(written.digest, written.sizeBytes);
    return fingerprint;
  }

  async keepContent(content: Buffer): Promise<FileFingerprint | undefined> {
    const sha1 = createHash('sha1').update(content).digest('hex');
    const fingerprint = { sha1, sizeBytes: content.length };
    if (this.#index.has(sha1)) return this.#index.get(sha1) === content.length ? fingerprint : undefined;
    if (content.length === 0 || content.length > this.#index.maxSize) return undefined;
    const path = join(this.#directory, `${temporaryPrefix}${randomBytes(12).toString('hex')}`);
    try {
      await writeWholeFile(path, content, { flag: 'wx', mode: 0o600 });
      await rename(path, this.#pathOf(sha1));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    this.#remember(sha1, content.length);
    return fingerprint;
  }

  /** Total bytes of the files held. */
  get heldBytes(): number {
    return this.#index.calculatedSize;
  }

  #remember(sha1: string, sizeBytes: number): void {
    if (sizeBytes === 0 || sizeBytes > this.#index.maxSize) {
      rmSync(this.#pathOf(sha1), { force: true });
      return;
    }
    this.#index.set(sha1, sizeBytes);
  }

  #pathOf(sha1: string): string {
    return join(this.#directory, sha1);
  }
}
