import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants as fsConstants,
  createReadStream,
  open as openWithCallback,
  read as readWithCallback,
  readFile as readFileWithCallback,
  rmSync,
  writeFile as writeFileWithCallback,
} from 'node:fs';
import { chmod, copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createInflateRaw, inflateRaw } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import type { FileFingerprint, ResourceCache, ZipFileLocation } from '../bits-store.ts';
import { temporaryPrefix, writeTemporaryFile } from './temporary-file.ts';

const sha1Name = /^[0-9a-f]{40}$/;
const zipName = /^([0-9a-f]{64})\.zip$/;
// The callback API: a whole small file in one call costs a fraction of the promise API's FileHandle.
const writeWholeFile = promisify(writeFileWithCallback);
const readWholeFile = promisify(readFileWithCallback);
const openFd = promisify(openWithCallback);
const readAt = promisify(readWithCallback);
const inflateRawBuffer = promisify(inflateRaw);
/** Files up to this size are read whole, in one piece, rather than streamed. */
const wholeFileBytes = 1024 * 1024;

/** Where a held file's content is: its own file `<sha1>`, or inside a kept zip `zips/<sha256>.zip`. */
type Location = { readonly sizeBytes: number } & (
  | { readonly kind: 'file' }
  | { readonly kind: 'zip'; readonly zip: string; readonly dataStart: number; readonly compressedSize: number; readonly method: 0 | 8 }
);

/** An LRU item: a file of its own (its size), or a kept zip (its size on disk and the SHA-1s of its files). */
type Item = number | { readonly zipBytes: number; readonly sha1s: readonly string[] };

/** One line of a kept zip's index: SHA-1, size, data start, compressed size, method. */
type IndexRecord = [string, number, number, number, 0 | 8];

/**
 * The resource-match cache of the embedded adapter, bounded by `maxBytes` of disk, least recently used
 * first. A file lives in one of two ways. The files of an uploaded zip stored as it was (the first
 * push) are kept by keeping the zip itself, `zips/<sha256>.zip`, with an index of where each file
 * lies in it (`zips/<sha256>.index`): one hard link made instead of thousands of files written, and
 * each file is read out of the zip (inflated when it was deflated) when a later push names it. The
 * link shares the upload's inode, which then becomes the package's blob (`sha256/<hex>`): no byte is
 * copied, and the package blob store counts this link as no package (`keptZipPath`), so the content
 * lives as long as a package or the cache holds it. Where the zip cannot be linked (another
 * filesystem, one without hard links) it is copied. A zip counts its size against the bound (bytes
 * on disk, whether or not a package shares them) and goes as a whole. Other files (those of a
 * rebuilt package) are kept one 0600 file per content, `<sha1>`. Evicting forgets and removes at once
 * (synchronously, so that a file kept again under the same name right after is never the one
 * removed); an open reader keeps its descriptor, so content being read stays readable.
 */
export class FileResourceCache implements ResourceCache {
  readonly #directory: string;
  readonly #zips: string;
  readonly #index: LRUCache<string, Item>;
  readonly #located = new Map<string, Location>();

  constructor(directory: string, maxBytes: number) {
    this.#directory = directory;
    this.#zips = join(directory, 'zips');
    this.#index = new LRUCache<string, Item>({
      maxSize: maxBytes,
      sizeCalculation: (item) => (typeof item === 'number' ? item : item.zipBytes),
      dispose: (item, key, reason) => {
        if (reason !== 'evict' && reason !== 'delete') return;
        if (typeof item === 'number') {
          if (this.#located.get(key)?.kind === 'file') this.#located.delete(key);
          rmSync(this.#pathOf(key), { force: true });
          return;
        }
        const zip = key.slice('zip:'.length);
        for (const sha1 of item.sha1s) {
          const location = this.#located.get(sha1);
          if (location?.kind === 'zip' && location.zip === zip) this.#located.delete(sha1);
        }
        rmSync(this.#zipPathOf(zip), { force: true });
        rmSync(this.#zipIndexPathOf(zip), { force: true });
      },
    });
  }

  /**
   * Creates the directory, removes temporary files a killed process left (and zips without their
   * index), and indexes what was kept before a restart (least recently written first, so what no longer
   * fits is the oldest).
   */
  async prepare(): Promise<void> {
    await mkdir(this.#directory, { recursive: true, mode: 0o700 });
    const found = [...(await this.#foundFiles()), ...(await this.#foundZips())];
    found.sort((a, b) => a.modified - b.modified);
    for (const item of found) {
      if ('sha1' in item) this.#rememberFile(item.sha1, item.sizeBytes);
      else this.#rememberZip(item.zip, item.zipBytes, item.records);
    }
  }

  async #foundFiles(): Promise<{ sha1: string; sizeBytes: number; modified: number }[]> {
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
    return found;
  }

  async #foundZips(): Promise<{ zip: string; zipBytes: number; records: IndexRecord[]; modified: number }[]> {
    const found: { zip: string; zipBytes: number; records: IndexRecord[]; modified: number }[] = [];
    const names: string[] = await readdir(this.#zips).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    for (const name of names) {
      const zip = zipName.exec(name)?.[1];
      if (zip === undefined) {
        // Temporary files, and indexes whose zip is gone (a zip is renamed into place after its index).
        const indexOf = /^([0-9a-f]{64})\.index$/.exec(name)?.[1];
        if (indexOf === undefined || !names.includes(`${indexOf}.zip`)) await rm(join(this.#zips, name), { force: true });
        continue;
      }
      const records = await this.#readZipIndex(zip);
      if (records === undefined) {
        await rm(this.#zipPathOf(zip), { force: true });
        continue;
      }
      const info = await stat(this.#zipPathOf(zip));
      found.push({ zip, zipBytes: info.size, records, modified: info.mtimeMs });
    }
    return found;
  }

  async held(candidates: readonly FileFingerprint[]): Promise<FileFingerprint[]> {
    return candidates.filter((file) => this.#touch(file) !== undefined);
  }

  async open(file: FileFingerprint): Promise<Readable | undefined> {
    const location = this.#touch(file);
    if (location === undefined) return undefined;
    if (location.kind === 'zip') return this.#openInZip(file, location);
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
    if (written.sizeBytes === 0 || written.sizeBytes > this.#index.maxSize || this.#located.has(written.digest)) {
      await written.discard();
      if (this.#touch(fingerprint) !== undefined) return fingerprint;
      return undefined;
    }
    await written.moveTo(this.#pathOf(written.digest));
    this.#rememberFile(written.digest, written.sizeBytes);
    return fingerprint;
  }

  async keepContent(content: Buffer): Promise<FileFingerprint | undefined> {
    const sha1 = createHash('sha1').update(content).digest('hex');
    const fingerprint = { sha1, sizeBytes: content.length };
    if (this.#located.has(sha1)) return this.#touch(fingerprint) === undefined ? undefined : fingerprint;
    if (content.length === 0 || content.length > this.#index.maxSize) return undefined;
    const path = join(this.#directory, `${temporaryPrefix}${randomBytes(12).toString('hex')}`);
    try {
      await writeWholeFile(path, content, { flag: 'wx', mode: 0o600 });
      await rename(path, this.#pathOf(sha1));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    this.#rememberFile(sha1, content.length);
    return fingerprint;
  }

  async keepZipFiles(zip: { path: string; sha256: string }, files: readonly ZipFileLocation[]): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(zip.sha256)) throw new Error(`Not a sha256 digest: ${JSON.stringify(zip.sha256)}`);
    const records: IndexRecord[] = files
      .filter((file) => file.sizeBytes > 0)
      .map((file) => [file.sha1, file.sizeBytes, file.dataStart, file.compressedSize, file.method]);
    if (records.length === 0) return;
    const key = `zip:${zip.sha256}`;
    const kept = this.#index.get(key);
    if (kept !== undefined) {
      // The same zip again: its files are already there; they become the most recent copies.
      this.#rememberZip(zip.sha256, (kept as { zipBytes: number }).zipBytes, records);
      return;
    }
    const { size } = await stat(zip.path);
    if (size > this.#index.maxSize) return;
    await mkdir(this.#zips, { recursive: true, mode: 0o700 });
    // The index first, then the zip: a zip is only ever found with its index.
    const temporaryIndex = join(this.#zips, `${temporaryPrefix}${randomBytes(12).toString('hex')}`);
    const temporaryZip = join(this.#zips, `${temporaryPrefix}${randomBytes(12).toString('hex')}`);
    try {
      await writeFile(temporaryIndex, JSON.stringify(records), { flag: 'wx', mode: 0o600 });
      await rename(temporaryIndex, this.#zipIndexPathOf(zip.sha256));
      // A link to the caller's file, which the caller hands over unchanged (as the upload's spool, to
      // the package blob store) only once this resolved: so a link to a package's blob is never made
      // under a name the blob store does not know (see PackageBlobStore's otherLinksOf). The same
      // content may still end up in two inodes (the spool was dropped for a blob already kept, two
      // uploads of one zip raced, the link fell back to a copy): more disk for a while, nothing lost.
      await linkOrCopy(zip.path, temporaryZip);
      // Private either way: a link shares the mode of the caller's file (an upload spool is 0600 already).
      await chmod(temporaryZip, 0o600);
      await rename(temporaryZip, this.#zipPathOf(zip.sha256));
    } catch (error) {
      await rm(temporaryIndex, { force: true });
      await rm(temporaryZip, { force: true });
      if (!this.#index.has(key)) await rm(this.#zipIndexPathOf(zip.sha256), { force: true });
      throw error;
    }
    this.#rememberZip(zip.sha256, size, records);
  }

  /** Total bytes held: files' sizes, and kept zips' sizes on disk. */
  get heldBytes(): number {
    return this.#index.calculatedSize;
  }

  /** Where the file is when it is held with that size, marking it (its zip) as just used. */
  #touch(file: FileFingerprint): Location | undefined {
    const location = this.#located.get(file.sha1);
    if (location === undefined || location.sizeBytes !== file.sizeBytes) return undefined;
    this.#index.get(location.kind === 'zip' ? `zip:${location.zip}` : file.sha1);
    return location;
  }

  async #openInZip(file: FileFingerprint, location: Location & { kind: 'zip' }): Promise<Readable | undefined> {
    // An open descriptor keeps the content readable even if the zip is evicted meanwhile.
    const fd = await openFd(this.#zipPathOf(location.zip), 'r').catch(() => undefined);
    if (fd === undefined) {
      this.#index.delete(`zip:${location.zip}`);
      return undefined;
    }
    const { dataStart, compressedSize, method, sizeBytes } = location;
    const wrongSize = (): Error => new Error(`The resource cache's copy of ${file.sha1} does not hold ${sizeBytes} bytes`);
    if (compressedSize <= wholeFileBytes && sizeBytes <= wholeFileBytes) {
      let content: Buffer;
      try {
        const compressed = Buffer.allocUnsafe(compressedSize);
        const { bytesRead } = await readAt(fd, compressed, 0, compressedSize, dataStart);
        if (bytesRead !== compressedSize) throw wrongSize();
        content =
          method === 0
            ? compressed
            : await inflateRawBuffer(compressed, { maxOutputLength: sizeBytes + 1, chunkSize: Math.max(64, sizeBytes + 1) });
      } finally {
        closeSync(fd);
      }
      if (content.length !== sizeBytes) throw wrongSize();
      return Readable.from([content], { objectMode: false });
    }
    const raw = createReadStream('', { fd, start: dataStart, end: dataStart + compressedSize - 1, highWaterMark: 1024 * 1024 });
    async function* checked(): AsyncGenerator<Buffer> {
      let source: AsyncIterable<Buffer> = raw;
      if (method === 8) {
        const inflate = createInflateRaw({ chunkSize: 256 * 1024 });
        raw.on('error', (error) => inflate.destroy(error));
        source = raw.pipe(inflate);
      }
      let count = 0;
      try {
        for await (const chunk of source) {
          count += chunk.length;
          if (count > sizeBytes) throw wrongSize();
          yield chunk;
        }
      } finally {
        raw.destroy();
      }
      if (count !== sizeBytes) throw wrongSize();
    }
    return Readable.from(checked(), { objectMode: false });
  }

  async #readZipIndex(zip: string): Promise<IndexRecord[] | undefined> {
    try {
      const records = JSON.parse(await readFile(this.#zipIndexPathOf(zip), 'utf8')) as unknown;
      if (!Array.isArray(records)) return undefined;
      const valid = records.every(
        (record: unknown) =>
          Array.isArray(record) &&
          record.length === 5 &&
          typeof record[0] === 'string' &&
          sha1Name.test(record[0]) &&
          record.slice(1).every((value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0) &&
          (record[4] === 0 || record[4] === 8),
      );
      return valid ? (records as IndexRecord[]) : undefined;
    } catch {
      return undefined;
    }
  }

  #rememberFile(sha1: string, sizeBytes: number): void {
    if (sizeBytes === 0 || sizeBytes > this.#index.maxSize) {
      rmSync(this.#pathOf(sha1), { force: true });
      return;
    }
    this.#located.set(sha1, { kind: 'file', sizeBytes });
    this.#index.set(sha1, sizeBytes);
  }

  /** Indexes a kept zip's files; each now points at this zip (the most recent copy), and a file of its own is dropped. */
  #rememberZip(zip: string, zipBytes: number, records: readonly IndexRecord[]): void {
    const key = `zip:${zip}`;
    if (zipBytes > this.#index.maxSize) {
      rmSync(this.#zipPathOf(zip), { force: true });
      rmSync(this.#zipIndexPathOf(zip), { force: true });
      return;
    }
    if (!this.#index.has(key)) this.#index.set(key, { zipBytes, sha1s: records.map((record) => record[0]) });
    for (const [sha1, sizeBytes, dataStart, compressedSize, method] of records) {
      if (this.#located.get(sha1)?.kind === 'file') this.#index.delete(sha1);
      this.#located.set(sha1, { kind: 'zip', zip, sizeBytes, dataStart, compressedSize, method });
    }
  }

  #pathOf(sha1: string): string {
    return join(this.#directory, sha1);
  }

  #zipPathOf(zip: string): string {
    return keptZipPath(this.#directory, zip);
  }

  #zipIndexPathOf(zip: string): string {
    return join(this.#zips, `${zip}.index`);
  }
}

/**
 * Where a cache in `directory` keeps the zip of sha256 `<hex>`: a path that may share its inode with
 * the package blob of the same digest (the package blob store counts it as no package).
 */
export function keptZipPath(directory: string, sha256: string): string {
  return join(directory, 'zips', `${sha256}.zip`);
}

/** Why `link` can fail on a file that exists and a free name: this filesystem (or pair) can't hard-link it. */
const cannotLink = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Makes `target` (a new name) hold the content of `source`: a hard link, no byte copied, or a copy
 * (a clone where the filesystem has reflinks) where a link cannot be made: across filesystems, on a
 * filesystem without hard links, or an inode at its link limit.
 */
async function linkOrCopy(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch (error) {
    if (!cannotLink.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    await copyFile(source, target, fsConstants.COPYFILE_FICLONE | fsConstants.COPYFILE_EXCL);
  }
}
