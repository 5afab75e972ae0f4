import { link, mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PackageBitsNotFound } from '../bits-errors.ts';
import type { PackageBitsRef, PackageBitsStore, StoredPackageBits } from '../bits-store.ts';
import { adoptTemporaryFile, writeTemporaryFile, type WrittenTemporaryFile } from './temporary-file.ts';

/**
 * Package zips on disk, content-addressed: each distinct zip is one blob `sha256/<hex>`, and a package
 * holds it through a hard link `packages/<packageGuid>/<hex>`. A blob's link count is then one plus
 * the packages using it, so the last package to go removes it. One server process owns the data
 * directory; per-digest locks order a put and a delete of the same content within it.
 */
export class PackageBlobStore implements PackageBitsStore {
  readonly #blobs: string;
  readonly #packages: string;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(root: string) {
    this.#blobs = join(root, 'sha256');
    this.#packages = join(root, 'packages');
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
    await this.#withDigestLock(written.digest, async () => {
      const blob = join(this.#blobs, written.digest);
      if (await exists(blob)) await written.discard();
      else await written.moveTo(blob);
      const previous = await this.#linkedDigest(packageDir);
      if (previous === written.digest) return;
      await mkdir(packageDir, { recursive: true, mode: 0o700 });
      await link(blob, join(packageDir, written.digest));
      if (previous !== undefined) await this.#unlinkPackageBlob(packageDir, previous);
    });
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

  /** Removes the package's link to the blob, and the blob when no other package links it. */
  async #unlinkPackageBlob(packageDir: string, digest: string): Promise<void> {
    await unlink(join(packageDir, digest)).catch(ignoreMissing);
    const blob = join(this.#blobs, digest);
    const blobStat = await stat(blob).catch(ignoreMissing);
    if (blobStat && blobStat.nlink <= 1) await unlink(blob).catch(ignoreMissing);
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

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(ignoreMissing)) !== undefined;
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT') return undefined;
  throw error;
}
