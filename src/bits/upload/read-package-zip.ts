import { closeSync, open, read } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { nextZipEntry } from './next-zip-entry.ts';
import { InvalidPackageBits } from '../bits-errors.ts';
import type { PackageZipLimits } from './package-zip-limits.ts';
import { normalizedMode, pathProblem, symlinkTargetProblem } from './package-paths.ts';
import type { WorkerFileResult } from './zip-check-worker.ts';
import type { StreamedEntry } from './zip-stream-check-worker.ts';
import { checkFilesInWorkers, WorkerCheckFailure } from './zip-check-workers.ts';
import { openZipFile } from './zip-file-reader.ts';

/** One entry of an uploaded zip that passed every check of its central directory record. */
export type CheckedZipEntry =
  | { readonly kind: 'file'; readonly path: string; readonly mode: number; readonly declaredBytes: number; readonly entry: yauzl.Entry }
  | { readonly kind: 'directory'; readonly path: string; readonly mode: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string };

/** An uploaded zip whose directory has been checked; its files are read through `openFile`. */
export type CheckedPackageZip = {
  readonly entries: readonly CheckedZipEntry[];
  /** The sum of the files' declared sizes (their actual sizes are checked while they are read). */
  readonly declaredBytes: number;
  /**
   * Whether the directory allows storing the zip as it was uploaded: no Unicode-path extra field
   * renames an entry and no mode needs a change. It can be stored so when its local headers agree too.
   */
  readonly verbatim: boolean;
  /**
   * Whether every entry's local header names it exactly as its directory record does (read while the
   * files were read, else now). With `verbatim`, any unzip tool then reads exactly the names and modes
   * checked here; otherwise the zip is rebuilt.
   */
  localHeadersAgree(): Promise<boolean>;
  /** The entry's content, failing with `InvalidPackageBits` when it holds other than the declared byte count. */
  openFile(entry: CheckedZipEntry & { kind: 'file' }): Promise<Readable>;
  /**
   * The whole content of a file of at most `wholeFileBytes` (declared and compressed), inflated in one
   * call (no stream per file), failing as `openFile` does. Larger files throw: read them with `openFile`.
   */
  readFile(entry: CheckedZipEntry & { kind: 'file' }): Promise<Buffer>;
  /**
   * Checks small files (of at most `wholeFileBytes`) as `readFile` reads them, in `workers` worker
   * threads, without handing their content back: resolves with each file's SHA-1 (hex; empty without
   * `fingerprints`), in order, or rejects as `readFile` would for the first file that fails.
   */
  checkFilesInWorkers(
    entries: readonly (CheckedZipEntry & { kind: 'file' })[],
    options: { fingerprints: boolean; workers: number },
  ): Promise<string[]>;
  /**
   * Whether what was read of the entry while the zip arrived (`ZipStreamCheck`) is this entry: at its
   * local header's offset, with its method, compressed size and declared size. If so its local header
   * needs no second read (where its data starts and whether it names the entry the same are noted).
   */
  confirmStreamed(entry: CheckedZipEntry & { kind: 'file' }, noted: StreamedEntry): boolean;
  /** Where the entry's (compressed) data starts in the zip file, as its local header says. */
  dataStartOf(entry: CheckedZipEntry & { kind: 'file' }): Promise<number>;
  close(): void;
};

const fileTypeMask = 0o170000;
const types = { file: 0o100000, directory: 0o040000, symlink: 0o120000 };
const unixHost = 3;
const msDosDirectoryAttribute = 0x10;
/**
 * The largest file `readFile` reads whole: most files of an app are smaller, and reading them in one
 * piece costs a fraction of a stream's machinery; a few of them at a time stay well within memory.
 */
export const wholeFileBytes = 1024 * 1024;
const inflateRawBuffer = promisify(inflateRaw);
const openFile = promisify(open);
const readAt = promisify(read);

/**
 * A second descriptor of the zip, read directly by `readFile`; the file's size; and what each entry's
 * local header said: where its data starts, and whether it names the entry as the directory does.
 */
type DirectReader = { fd: number; fileBytes: number; dataStarts: Map<yauzl.Entry, number>; namesAgree: Map<yauzl.Entry, boolean> };
const localHeaderSignature = 0x04034b50;
const localHeaderBytes = 30;
/** Longer than any path a file system accepts; a "link" this long is not a link. */
const maxSymlinkTargetBytes = 4096;

/**
 * Opens an uploaded zip and checks its directory before any content is used: a zip at all, no entry
 * escaping the package's root (`../`, absolute paths, backslashes, links pointing outside), no
 * encrypted or special entries, and at most `limits` entries and declared bytes. Sizes declared in
 * the directory may lie, so the content is counted again while it is read (`openFile`). Every refusal
 * is an `InvalidPackageBits` with the text the user reads.
 */
export async function readPackageZip(file: string, limits: PackageZipLimits): Promise<CheckedPackageZip> {
  let zip: yauzl.ZipFile;
  try {
    // Names are decoded here rather than by yauzl, so that a backslash is refused rather than turned into a slash.
    zip = await openZipFile(file, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (error) {
    throw new InvalidPackageBits('The uploaded package is not a valid zip file.', { cause: error });
  }
  let direct: DirectReader | undefined;
  try {
    direct = { fd: await openFile(file, 'r'), fileBytes: zip.fileSize, dataStarts: new Map(), namesAgree: new Map() };
    if (zip.entryCount > limits.maxEntries) throw tooManyEntries(limits);
    const { entries, verbatim, rawEntries } = await checkEntries(zip, limits);
    const declaredBytes = entries.reduce((total, entry) => total + (entry.kind === 'file' ? entry.declaredBytes : 0), 0);
    return {
      entries,
      declaredBytes,
      verbatim,
      openFile: (entry) => openCountedStream(zip, entry.entry, entry.path),
      readFile: (entry) => readWholeFile(zip, direct!, entry),
      dataStartOf: (entry) => dataStartOf(direct!, entry.entry),
      confirmStreamed: (entry, noted) => confirmStreamed(direct!, entry, noted),
      checkFilesInWorkers: (files, options) => checkInWorkers(file, direct!, files, options),
      localHeadersAgree: () => localHeadersAgree(direct!, rawEntries),
      close: () => {
        zip.close();
        // Safe to call twice, as yauzl's close is.
        if (direct!.fd >= 0) closeSync(direct!.fd);
        direct!.fd = -1;
      },
    };
  } catch (error) {
    zip.close();
    if (direct) closeSync(direct.fd);
    throw error;
  }
}

async function checkEntries(
  zip: yauzl.ZipFile,
  limits: PackageZipLimits,
): Promise<{ entries: CheckedZipEntry[]; verbatim: boolean; rawEntries: yauzl.Entry[] }> {
  const entries: CheckedZipEntry[] = [];
  const rawEntries: yauzl.Entry[] = [];
  const paths = new Set<string>();
  let declaredBytes = 0;
  let verbatim = true;
  for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
    if (entries.length >= limits.maxEntries) throw tooManyEntries(limits);
    const checked = await checkEntry(zip, entry);
    verbatim &&= readsTheSameEverywhere(entry, checked);
    const key = checked.path.replace(/\/$/, '');
    if (paths.has(key)) throw new InvalidPackageBits(`The uploaded package holds the path '${key}' twice.`);
    paths.add(key);
    if (checked.kind === 'file') {
      declaredBytes += checked.declaredBytes;
      if (declaredBytes > limits.maxUncompressedBytes) throw tooLarge(limits);
    }
    entries.push(checked);
    rawEntries.push(entry);
  }
  return { entries, verbatim, rawEntries };
}

/**
 * Whether other unzip tools read this entry's directory record as checked: others ignore the
 * Unicode-path extra field yauzl prefers; and the mode is kept. (Tools that stream a zip read the
 * local header's name: `localHeadersAgree` compares those.)
 */
function readsTheSameEverywhere(entry: yauzl.Entry, checked: CheckedZipEntry): boolean {
  const plainName = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, [], true);
  if (plainName !== (checked.kind === 'directory' ? `${checked.path}/` : checked.path) && plainName !== checked.path) return false;
  if (checked.kind !== 'symlink') {
    const unixMode = entry.versionMadeBy >> 8 === unixHost ? entry.externalFileAttributes >>> 16 : 0;
    if ((unixMode & 0o777) !== checked.mode) return false;
  }
  return true;
}

/** Whether every entry's local header names it as its directory record does; headers not read yet are read now. */
async function localHeadersAgree(direct: DirectReader, entries: readonly yauzl.Entry[]): Promise<boolean> {
  for (const entry of entries) {
    if (!direct.namesAgree.has(entry)) await readLocalHeader(direct, entry, false);
    if (!direct.namesAgree.get(entry)) return false;
  }
  return true;
}

/**
 * Reads an entry's local header (as yauzl would: its signature, and its data within the file), noting
 * where the data starts and whether the header names the entry as its directory record does. With
 * `withData`, the same read takes the entry's compressed data too (when the header is no longer than
 * the directory record's name and extra fields, as it nearly always is), which is then returned.
 */
async function readLocalHeader(direct: DirectReader, entry: yauzl.Entry, withData: boolean): Promise<Buffer | undefined> {
  const offset = entry.relativeOffsetOfLocalHeader;
  const guessedHeader = localHeaderBytes + entry.fileNameLength + entry.extraFieldLength;
  const length = Math.min(guessedHeader + (withData ? entry.compressedSize : 0), direct.fileBytes - offset);
  if (length < localHeaderBytes) throw new InvalidPackageBits('The uploaded package is not a valid zip file.');
  const bytes = Buffer.allocUnsafe(length);
  const { bytesRead } = await readAt(direct.fd, bytes, 0, length, offset);
  if (bytesRead < localHeaderBytes || bytes.readUInt32LE(0) !== localHeaderSignature)
    throw new InvalidPackageBits('The uploaded package is not a valid zip file.', {
      cause: new Error(`invalid local file header signature at ${offset}`),
    });
  const nameLength = bytes.readUInt16LE(26);
  const headerLength = localHeaderBytes + nameLength + bytes.readUInt16LE(28);
  const dataStart = offset + headerLength;
  if (dataStart + entry.compressedSize > direct.fileBytes)
    throw new InvalidPackageBits('The uploaded package is not a valid zip file.', { cause: new Error('file data overflows file bounds') });
  direct.dataStarts.set(entry, dataStart);
  let name = bytes.subarray(localHeaderBytes, Math.min(bytesRead, localHeaderBytes + nameLength));
  if (name.length < nameLength) {
    name = Buffer.allocUnsafe(nameLength);
    await readAt(direct.fd, name, 0, nameLength, offset + localHeaderBytes);
  }
  direct.namesAgree.set(entry, name.equals(entry.fileNameRaw));
  if (!withData || headerLength + entry.compressedSize > bytesRead) return undefined;
  return bytes.subarray(headerLength, headerLength + entry.compressedSize);
}

async function checkEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<CheckedZipEntry> {
  const path = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
  const problem = pathProblem(path);
  if (problem)
    throw new InvalidPackageBits(`The uploaded package has an entry outside its root directory (${problem}): '${printable(path)}'.`);
  if (entry.isEncrypted()) throw new InvalidPackageBits(`The uploaded package has an encrypted entry: '${path}'.`);
  const unixMode = entry.versionMadeBy >> 8 === unixHost ? entry.externalFileAttributes >>> 16 : 0;
  const kind = kindOf(entry, path, unixMode);
  if (kind === 'symlink') return { kind, path, target: await checkedSymlinkTarget(zip, entry, path) };
  if (kind === 'directory') return { kind, path: path.replace(/\/$/, ''), mode: normalizedMode(unixMode || 0o755, 'directory') };
  if (!entry.canDecodeFileData())
    throw new InvalidPackageBits(`The uploaded package has an entry compressed with an unsupported method: '${path}'.`);
  return { kind, path, mode: normalizedMode(unixMode || 0o644, 'file'), declaredBytes: entry.uncompressedSize, entry };
}

/** From the unix type bits when the zip was made on unix, else from the name and the MS-DOS attribute. */
function kindOf(entry: yauzl.Entry, path: string, unixMode: number): CheckedZipEntry['kind'] {
  const type = unixMode & fileTypeMask;
  if (type === types.symlink) return 'symlink';
  const isDirectory = path.endsWith('/') || type === types.directory || (entry.externalFileAttributes & msDosDirectoryAttribute) !== 0;
  if (type === 0 || type === (isDirectory ? types.directory : types.file)) return isDirectory ? 'directory' : 'file';
  throw new InvalidPackageBits(`The uploaded package has an entry that is neither a file, a directory nor a symbolic link: '${path}'.`);
}

async function checkedSymlinkTarget(zip: yauzl.ZipFile, entry: yauzl.Entry, path: string): Promise<string> {
  const target = await readSymlinkTarget(zip, entry, path);
  const problem = symlinkTargetProblem(path, target);
  if (problem) {
    throw new InvalidPackageBits(
      `The uploaded package has a symbolic link pointing outside its root directory (${problem}): '${path}' -> '${printable(target)}'.`,
    );
  }
  return target;
}

async function readSymlinkTarget(zip: yauzl.ZipFile, entry: yauzl.Entry, path: string): Promise<string> {
  if (entry.uncompressedSize > maxSymlinkTargetBytes)
    throw new InvalidPackageBits(
      `The uploaded package has a symbolic link with a target longer than ${maxSymlinkTargetBytes} bytes: '${path}'.`,
    );
  const chunks: Buffer[] = [];
  for await (const chunk of await openCountedStream(zip, entry, path)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** yauzl checks that the entry inflates to exactly its declared size; a lie is a refused package, not a crash. */
async function openCountedStream(zip: yauzl.ZipFile, entry: yauzl.Entry, path: string): Promise<Readable> {
  let stream: Readable;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw corrupt(path, error);
  }
  // Re-emit yauzl's and zlib's errors as the user's error, keeping theirs as the cause.
  async function* relabelled(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (error) {
      throw corrupt(path, error);
    }
  }
  return Readable.from(relabelled(), { objectMode: false });
}

/** Reads the entry's compressed bytes and inflates them at once, bounded by its declared size, which they must fill exactly. */
async function readWholeFile(zip: yauzl.ZipFile, direct: DirectReader, checked: CheckedZipEntry & { kind: 'file' }): Promise<Buffer> {
  const { entry, path, declaredBytes } = checked;
  if (declaredBytes > wholeFileBytes || entry.compressedSize > wholeFileBytes)
    throw new Error(`readFile is for files of at most ${wholeFileBytes} bytes: '${path}'`);
  let content: Buffer;
  try {
    let compressed = direct.dataStarts.has(entry) ? undefined : await readLocalHeader(direct, entry, true);
    if (compressed === undefined) {
      compressed = Buffer.allocUnsafe(entry.compressedSize);
      const { bytesRead } = await readAt(direct.fd, compressed, 0, compressed.length, await dataStartOf(direct, entry));
      if (bytesRead !== compressed.length) throw new Error('the file ends before the entry does');
    }
    // One byte more than declared is allowed out, so that a file holding more than it declares is seen.
    content =
      entry.compressionMethod === 0
        ? compressed
        : await inflateRawBuffer(compressed, {
            maxOutputLength: declaredBytes + 1,
            // The whole file in one piece: each piece is a trip to zlib's thread and back.
            chunkSize: Math.max(64, declaredBytes + 1),
          });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw corrupt(path, new Error('too many bytes in the stream'));
    throw corrupt(path, error);
  }
  if (content.length !== declaredBytes)
    throw corrupt(path, new Error(`too ${content.length > declaredBytes ? 'many' : 'few'} bytes in the stream`));
  return content;
}

function confirmStreamed(
  direct: DirectReader,
  { entry, declaredBytes }: CheckedZipEntry & { kind: 'file' },
  noted: StreamedEntry,
): boolean {
  const agrees =
    noted.offset === entry.relativeOffsetOfLocalHeader &&
    noted.method === entry.compressionMethod &&
    noted.compressedSize === entry.compressedSize &&
    noted.size === declaredBytes &&
    noted.dataStart + noted.compressedSize <= direct.fileBytes;
  if (!agrees) return false;
  direct.dataStarts.set(entry, noted.dataStart);
  direct.namesAgree.set(entry, Buffer.from(noted.name.buffer, noted.name.byteOffset, noted.name.byteLength).equals(entry.fileNameRaw));
  return true;
}

/** Where the entry's data starts, from its local header (read now when it was not yet), which also checked that the data lies within the file. */
async function dataStartOf(direct: DirectReader, entry: yauzl.Entry): Promise<number> {
  if (!direct.dataStarts.has(entry)) await readLocalHeader(direct, entry, false);
  return direct.dataStarts.get(entry)!;
}

async function checkInWorkers(
  file: string,
  direct: DirectReader,
  files: readonly (CheckedZipEntry & { kind: 'file' })[],
  { fingerprints, workers }: { fingerprints: boolean; workers: number },
): Promise<string[]> {
  for (const { path, declaredBytes, entry } of files) {
    if (declaredBytes > wholeFileBytes || entry.compressedSize > wholeFileBytes)
      throw new Error(`checkFilesInWorkers is for files of at most ${wholeFileBytes} bytes: '${path}'`);
  }
  let results: WorkerFileResult[];
  try {
    const job = {
      file,
      fileBytes: direct.fileBytes,
      fingerprints,
      files: files.map(({ declaredBytes, entry }) => ({
        offset: entry.relativeOffsetOfLocalHeader,
        name: entry.fileNameRaw,
        compressedSize: entry.compressedSize,
        declaredBytes,
        method: entry.compressionMethod,
      })),
    };
    results = await checkFilesInWorkers(job, workers);
  } catch (error) {
    if (!(error instanceof WorkerCheckFailure)) throw error;
    const { index, reason, message } = error.failure;
    if (reason === 'header') throw new InvalidPackageBits('The uploaded package is not a valid zip file.', { cause: new Error(message) });
    throw corrupt(files[index]!.path, new Error(message));
  }
  return results.map(({ dataStart, namesAgree, sha1 }, index) => {
    direct.dataStarts.set(files[index]!.entry, dataStart);
    direct.namesAgree.set(files[index]!.entry, namesAgree);
    return sha1;
  });
}

function corrupt(path: string, cause: unknown): InvalidPackageBits {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/too many bytes|too few bytes/.test(message)) {
    return new InvalidPackageBits(`The uploaded package's entry '${path}' holds a different number of bytes than it declares.`, { cause });
  }
  return new InvalidPackageBits(`The uploaded package's entry '${path}' cannot be read: the zip file is corrupt.`, { cause });
}

const nextEntry = (zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> =>
  nextZipEntry(zip, (error) => new InvalidPackageBits('The uploaded package is not a valid zip file.', { cause: error }));

const tooManyEntries = (limits: PackageZipLimits): InvalidPackageBits =>
  new InvalidPackageBits(`The uploaded package has more than ${limits.maxEntries} entries.`);

const tooLarge = (limits: PackageZipLimits): InvalidPackageBits =>
  new InvalidPackageBits(`The uploaded package unpacks to more than ${limits.maxUncompressedBytes} bytes.`);

/** Control characters shown as escapes, so the text stays one readable line. */
function printable(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
