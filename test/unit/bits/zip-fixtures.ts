import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import yauzl from 'yauzl';
import yazl from 'yazl';

/** What a test puts into a zip: files (with a unix mode), directories and symbolic links. */
export type ZipItem =
  | { path: string; content: string | Buffer; mode?: number; compress?: boolean }
  | { directory: string; mode?: number }
  | { link: string; target: string };

/**
 * Builds a zip in memory with yazl, as the cf CLI's zips look: unix modes, deflated files. With
 * `dataDescriptors`, each file's sizes and CRC follow its data instead of standing in its local header,
 * as Go's archive/zip (so the cf CLI) writes every file.
 */
export async function makeZip(items: ZipItem[], { dataDescriptors = false }: { dataDescriptors?: boolean } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const addFile = (content: Buffer, path: string, options: { mode: number; compress?: boolean }): void => {
    if (dataDescriptors) zip.addReadStream(Readable.from([content]), path, options);
    else zip.addBuffer(content, path, options);
  };
  for (const item of items) {
    if ('directory' in item) zip.addEmptyDirectory(item.directory, { mode: 0o040000 | (item.mode ?? 0o755) });
    else if ('link' in item) addFile(Buffer.from(item.target), item.link, { mode: 0o120777 });
    else addFile(Buffer.from(item.content), item.path, { mode: 0o100000 | (item.mode ?? 0o644), compress: item.compress ?? true });
  }
  zip.end();
  return buffer(zip.outputStream as Readable);
}

/**
 * Renames an entry by rewriting its name bytes wherever they occur (local header and central
 * directory), which is how the evil names yazl itself refuses to write get into a test zip.
 */
export function renameEntry(zip: Buffer, from: string, to: string): Buffer {
  const source = Buffer.from(from, 'latin1');
  const target = Buffer.from(to, 'latin1');
  if (source.length !== target.length) throw new Error('renameEntry keeps the name length');
  const copy = Buffer.from(zip);
  let found = 0;
  for (let at = copy.indexOf(source); at !== -1; at = copy.indexOf(source, at + 1)) {
    target.copy(copy, at);
    found += 1;
  }
  if (found === 0) throw new Error(`no entry named ${from}`);
  return copy;
}

/** Rewrites the uncompressed size recorded in each central directory record (a zip that lies about its sizes). */
export function declareUncompressedSize(zip: Buffer, size: number): Buffer {
  const copy = Buffer.from(zip);
  for (let at = copy.indexOf(centralHeader); at !== -1; at = copy.indexOf(centralHeader, at + 4)) copy.writeUInt32LE(size, at + 24);
  return copy;
}

const centralHeader = Buffer.from([0x50, 0x4b, 0x01, 0x02]);

export type ListedEntry = { path: string; mode: number; content: Buffer; deflated: boolean };

/** Every entry of a zip with its full unix mode (type and permissions) and content. */
export async function listZip(zipBytes: Buffer): Promise<ListedEntry[]> {
  const zip = await yauzl.fromBufferPromise(zipBytes, { lazyEntries: false });
  const entries: ListedEntry[] = [];
  for await (const entry of zip.eachEntry()) {
    const content = entry.fileName.endsWith('/') ? Buffer.alloc(0) : await buffer(await zip.openReadStreamPromise(entry));
    entries.push({ path: entry.fileName, mode: entry.externalFileAttributes >>> 16, content, deflated: entry.compressionMethod === 8 });
  }
  return entries;
}

export async function temporaryDirectory(prefix = 'cfapi-bits-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function writeTemporaryZip(directory: string, bytes: Buffer, name = 'upload.zip'): Promise<string> {
  const file = join(directory, name);
  await writeFile(file, bytes);
  return file;
}

/** A multipart body as the cf CLI sends it: the `resources` field first, then the `bits` file part. */
export function multipartBody(
  parts: { resources?: string; bits?: Buffer },
  boundary = 'cfcliboundary0123456789',
): { headers: Record<string, string>; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  if (parts.resources !== undefined) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="resources"\r\n\r\n${parts.resources}\r\n`));
  }
  if (parts.bits !== undefined) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="bits"; filename="package.zip"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      parts.bits,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, chunks };
}
