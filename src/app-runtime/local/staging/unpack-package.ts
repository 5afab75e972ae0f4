import { createWriteStream } from 'node:fs';
import { chmod, mkdir, symlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { nextZipEntry } from '../../../bits/upload/next-zip-entry.ts';
import { StagingFailed } from '../../app-runtime.ts';
import { normalizedMode, pathProblem, symlinkTargetProblem } from '../../../bits/upload/package-paths.ts';

type PackageEntry =
  | { kind: 'file'; path: string; mode: number; entry: yauzl.Entry }
  | { kind: 'directory'; path: string; mode: number }
  | { kind: 'symlink'; path: string; entry: yauzl.Entry };

const fileTypeMask = 0o170000;
const types = { file: 0o100000, directory: 0o040000, symlink: 0o120000 };
const unixHost = 3;
const msDosDirectoryAttribute = 0x10;
const maxSymlinkTargetBytes = 4096;

/**
 * Unpacks a package zip (`zipFile`) into the empty directory `dir`, trusting nothing in it although
 * the upload checked it already: every path must stay inside `dir` (no absolute paths, `..`, or
 * backslashes), no entry may lie below a symbolic link of the package, and links must point inside
 * the package without passing through another link (so that what the names say is where the bytes
 * go). Files keep their unix permission bits (the cf CLI records them in the zip), so executables stay
 * executable. Anything else is a `StagingFailed`.
 */
export async function unpackPackage(zipFile: string, dir: string, signal: AbortSignal): Promise<{ files: number }> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipFile, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (error) {
    throw new StagingFailed('The app package is not a valid zip file.', { cause: error });
  }
  try {
    const entries = await readEntries(zip);
    const links = new Map<string, string>();
    for (const entry of entries) if (entry.kind === 'symlink') links.set(entry.path, await readLinkTarget(zip, entry));
    checkLinks(entries, links);
    // Directories first, then files; links last, so no file is written through one.
    const directories = entries.filter((entry) => entry.kind === 'directory');
    for (const { path } of directories) await mkdir(join(dir, path), { recursive: true });
    let files = 0;
    for (const entry of entries) {
      if (entry.kind !== 'file') continue;
      if (signal.aborted) return { files };
      await writeFile(zip, entry, dir);
      files += 1;
    }
    for (const [path, target] of links) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await symlink(target, join(dir, path));
    }
    // Deepest first, so a directory without write permission is closed only once everything is in it.
    for (const { path, mode } of directories.sort((a, b) => b.path.length - a.path.length)) await chmod(join(dir, path), mode);
    return { files };
  } finally {
    zip.close();
  }
}

async function readEntries(zip: yauzl.ZipFile): Promise<PackageEntry[]> {
  const entries: PackageEntry[] = [];
  const seen = new Set<string>();
  for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
    const checked = checkEntry(entry);
    if (seen.has(checked.path)) throw refused(`it holds the path '${checked.path}' twice`);
    seen.add(checked.path);
    entries.push(checked);
  }
  return entries;
}

function checkEntry(entry: yauzl.Entry): PackageEntry {
  const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
  const problem = pathProblem(name);
  if (problem !== undefined) throw refused(`an entry lies outside the app directory (${problem}): ${JSON.stringify(name)}`);
  if (entry.isEncrypted()) throw refused(`the entry '${name}' is encrypted`);
  const unixMode = entry.versionMadeBy >> 8 === unixHost ? entry.externalFileAttributes >>> 16 : 0;
  const path = name.replace(/\/$/, '');
  const kind = kindOf(entry, name, unixMode);
  if (kind === 'symlink') return { kind, path, entry };
  if (kind === 'directory') return { kind, path, mode: normalizedMode(unixMode || 0o755, 'directory') };
  if (!entry.canDecodeFileData()) throw refused(`the entry '${name}' is compressed with an unsupported method`);
  return { kind, path, mode: normalizedMode(unixMode || 0o644, 'file'), entry };
}

/** From the unix type bits when the zip was made on unix, else from the name and the MS-DOS attribute. */
function kindOf(entry: yauzl.Entry, name: string, unixMode: number): PackageEntry['kind'] {
  const type = unixMode & fileTypeMask;
  if (type === types.symlink) return 'symlink';
  const isDirectory = name.endsWith('/') || type === types.directory || (entry.externalFileAttributes & msDosDirectoryAttribute) !== 0;
  if (type !== 0 && type !== (isDirectory ? types.directory : types.file))
    throw refused(`the entry '${name}' is neither a file, a directory nor a symbolic link`);
  return isDirectory ? 'directory' : 'file';
}

/**
 * Links must not make a name mean another place than it says: nothing lies below a link, and a link's
 * target, walked from the link's directory, stays inside and passes through no other link.
 */
function checkLinks(entries: readonly PackageEntry[], links: ReadonlyMap<string, string>): void {
  if (links.size === 0) return;
  for (const { path } of entries) {
    const segments = path.split('/');
    for (let depth = 1; depth < segments.length; depth += 1) {
      const ancestor = segments.slice(0, depth).join('/');
      if (links.has(ancestor)) throw refused(`the entry '${path}' lies below the symbolic link '${ancestor}'`);
    }
  }
  for (const [path, target] of links) {
    const problem = symlinkTargetProblem(path, target) ?? throughLink(path, target, links);
    if (problem !== undefined) throw refused(`the symbolic link '${path}' -> '${target}' points outside the app directory (${problem})`);
  }
}

function throughLink(path: string, target: string, links: ReadonlyMap<string, string>): string | undefined {
  const walked = posix.dirname(path) === '.' ? [] : posix.dirname(path).split('/');
  const segments = target.split('/').filter((segment) => segment !== '' && segment !== '.');
  for (const [index, segment] of segments.entries()) {
    if (segment === '..') walked.pop();
    else walked.push(segment);
    if (index < segments.length - 1 && links.has(walked.join('/'))) return `it passes through the link '${walked.join('/')}'`;
  }
  return undefined;
}

async function readLinkTarget(zip: yauzl.ZipFile, entry: PackageEntry & { kind: 'symlink' }): Promise<string> {
  if (entry.entry.uncompressedSize > maxSymlinkTargetBytes) throw refused(`the symbolic link '${entry.path}' has too long a target`);
  const chunks: Buffer[] = [];
  for await (const chunk of await openEntry(zip, entry.entry, entry.path)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function writeFile(zip: yauzl.ZipFile, entry: PackageEntry & { kind: 'file' }, dir: string): Promise<void> {
  const target = join(dir, entry.path);
  await mkdir(dirname(target), { recursive: true });
  try {
    // `wx`: a path that exists already (a second entry for it) is an error, never overwritten.
    await pipeline(await openEntry(zip, entry.entry, entry.path), createWriteStream(target, { flags: 'wx', mode: entry.mode }));
  } catch (error) {
    if (error instanceof StagingFailed) throw error;
    throw refused(`the entry '${entry.path}' cannot be unpacked: ${error instanceof Error ? error.message : String(error)}`);
  }
  // The mode given to open is cut by the umask; the package's mode is what the app gets.
  await chmod(target, entry.mode);
}

async function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, path: string): Promise<Readable> {
  try {
    return await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw refused(`the entry '${path}' cannot be read`, error);
  }
}

const nextEntry = (zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> =>
  nextZipEntry(zip, (error) => refused('it is not a valid zip file', error));

const refused = (why: string, cause?: unknown): StagingFailed =>
  new StagingFailed(`The app package cannot be unpacked: ${why}.`, cause === undefined ? undefined : { cause });
