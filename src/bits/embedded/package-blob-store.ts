import type { BigIntStats } from 'node:fs';
import { link, mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PackageBitsNotFound } from '../bits-errors.ts';
import type { PackageBitsRef, PackageBitsStore, StoredPackageBits } from '../bits-store.ts';
import { adoptTemporaryFile, writeTemporaryFile, type WrittenTemporaryFile } from './temporary-file.ts';

export type PackageBlobStoreOptions = {
  /**
   * Paths outside the store that may hold a hard link to the blob of digest `<hex>` (the resource
   * cache's `zips/<hex>.zip`, linked to the upload's spool before the spool became the blob). Such a
   * link is not a package: the blob goes when no package links it, whoever else still does.
   */
  readonly otherLinksOf?: (digest: string) => readonly string[];
};

/**
 * Package zips on disk, content-addressed: each distinct zip is one blob `sha256/<hex>`, and a package
 * holds it through a hard link `packages/<packageGuid>/<hex>`. A blob's link count is then one plus
 * the packages using it, plus the links named by `otherLinksOf` that share its inode, so the last
 * package to go removes the blob's name; content another link (the resource cache's kept zip) still
 * holds stays readable there, and goes with that link. One server process owns the data directory;
 * per-digest locks order a put and a delete of the same content within it.
 */
export class PackageBlobStore implements PackageBitsStore {
  readonly #blobs: string;
  readonly #packages: string;
  readonly #otherLinksOf: (digest: string) => readonly string[];
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(root: string, options: PackageBlobStoreOptions = {}) {
    this.#blobs = join(root, 'sha256');
    this.#packages = join(root, 'packages');
    this.#otherLinksOf = options.otherLinksOf ?? (() => []);
  }

  /** Creates the directories (0700). */
  async prepare(): Promise<void> {
    await mkdir(this.#blobs, { recursive: true, mode: 0o700 });
    await mkdir(this.#packages, { recursive: true, mode: 0o700 });
  }

  async putPackageBits(ref: PackageBitsRef, bits: Readable): Promise<StoredPackageBits> {
    const packageDir = this.#packageDir(ref);
    return this.#keep(packageDir, await writeTemporaryFile(this.#blobs, bits, 'sha256'));
  }

  async putPackageFile(ref: PackageBitsRef, file: string, sha256?: string): Promise<StoredPackageBits> {
    const packageDir = this.#packageDir(ref);
    return this.#keep(packageDir, await adoptTemporaryFile(this.#blobs, file, 'sha256', sha256));
  }

  /** Makes a complete temporary file the package's blob (or drops it when that content is already kept). */
  async #keep(packageDir: string, written: WrittenTemporaryFile): Promise<StoredPackageBits> {
    const previous = await this.#withDigestLock(written.digest, async () => {
      const blob = join(this.#blobs, written.digest);
      if (await exists(blob)) await written.discard();
      else await written.moveTo(blob);
      const linked = await this.#linkedDigest(packageDir);
      if (linked === written.digest) return undefined;
      await mkdir(packageDir, { recursive: true, mode: 0o700 });
      await link(blob, join(packageDir, written.digest));
      return linked;
    });
    // The earlier content goes under its own digest's lock, so that it never races a put of it.
    if (previous !== undefined) await this.#withDigestLock(previous, () => this.#unlinkPackageBlob(packageDir, previous));
    return { digest: `sha256:${written.digest}`, sizeBytes: written.sizeBytes };
  }

  async openPackageBits(ref: PackageBitsRef): Promise<StoredPackageBits & { stream: Readable }> {
    const packageDir = this.#packageDir(ref);
    const digest = await this.#linkedDigest(packageDir);
    if (digest === undefined) throw new PackageBitsNotFound(`No bits stored for package ${ref.packageGuid}`);
    // Opened now, so a delete that follows cannot take the content from under the reader.
    const handle = await open(join(packageDir, digest), 'r').catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new PackageBitsNotFound(`No bits stored for package ${ref.packageGuid}`) : error;
    });
    const { size } = await handle.stat();
    return { digest: `sha256:${digest}`, sizeBytes: size, stream: handle.createReadStream() };
  }

  async deletePackageBits(ref: PackageBitsRef): Promise<void> {
    const packageDir = this.#packageDir(ref);
    const digest = await this.#linkedDigest(packageDir);
    if (digest !== undefined) await this.#withDigestLock(digest, () => this.#unlinkPackageBlob(packageDir, digest));
    await rm(packageDir, { recursive: true, force: true });
  }

  /**
   * Removes the package's link to the blob, and the blob when no other package links it: when its
   * link count is at most one (its own name) plus the other links (`otherLinksOf`) found on its inode.
   *
   * Those other links are never counted against a package, whatever runs meanwhile. They only go
   * away while this runs (the cache evicts, or replaces its zip with another inode): the cache links
   * an upload's spool before the spool becomes the blob, under this digest's lock, so no new link to
   * the blob's inode appears while the lock is held. The other links are therefore looked at before
   * and after the blob's count, and again until both looks agree: the count then holds exactly the
   * links seen. A blob no package links is thus always removed (no orphan `sha256/` file; the inode
   * goes with the cache's last link), and a blob a package links is never removed by this rule.
   */
  async #unlinkPackageBlob(packageDir: string, digest: string): Promise<void> {
    await unlink(join(packageDir, digest)).catch(ignoreMissing);
    const blob = join(this.#blobs, digest);
    const others = this.#otherLinksOf(digest);
    for (;;) {
      const before = await inodesOf(others);
      const blobStat = await stat(blob, { bigint: true }).catch(ignoreMissing);
      if (blobStat === undefined) return;
      const after = await inodesOf(others);
      if (after.some((inode, index) => inode !== before[index])) continue;
      const otherLinks = after.filter((inode) => inode === inodeOf(blobStat)).length;
      if (blobStat.nlink <= BigInt(1 + otherLinks)) await unlink(blob).catch(ignoreMissing);
      return;
    }
  }

  async #linkedDigest(packageDir: string): Promise<string | undefined> {
    const names = await readdir(packageDir).catch(ignoreMissing);
    return names?.find((name) => /^[0-9a-f]{64}$/.test(name));
  }

  #packageDir(ref: PackageBitsRef): string {
    // The GUID names a directory: refuse anything that could step out of packages/.
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(ref.packageGuid)) throw new Error(`Not a package GUID: ${JSON.stringify(ref.packageGuid)}`);
    return join(this.#packages, ref.packageGuid);
  }

  async #withDigestLock<T>(digest: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(digest) ?? Promise.resolve();
    const current = previous.then(work, work);
    const settled = current.catch(() => undefined);
    this.#locks.set(digest, settled);
    try {
      return await current;
    } finally {
      if (this.#locks.get(digest) === settled) this.#locks.delete(digest);
    }
  }
}

/** Each path's device and inode (`<dev>:<ino>`, in full: 64-bit inode numbers), or undefined where there is no file. */
async function inodesOf(paths: readonly string[]): Promise<(string | undefined)[]> {
  return Promise.all(
    paths.map(async (path) => {
      const found = await stat(path, { bigint: true }).catch(ignoreMissing);
      return found === undefined ? undefined : inodeOf(found);
    }),
  );
}

function inodeOf(found: BigIntStats): string {
  return `${found.dev}:${found.ino}`;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(ignoreMissing)) !== undefined;
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}
