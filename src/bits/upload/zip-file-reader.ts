import { close, fstat, open, read } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import yauzl from 'yauzl';

const openFile = promisify(open);
const statFd = promisify(fstat);
const readAt = promisify(read);

/** The end of central directory record: its signature, and where it says the directory lies. */
const endOfDirectorySignature = 0x06054b50;
const endOfDirectoryBytes = 22;
const maxCommentBytes = 0xffff;
/** The largest central directory read into memory at once; a larger one is read piece by piece. */
const maxPreloadedBytes = 64 * 1024 * 1024;
/** Small reads (a local header, its name and extra fields) are served from one block read around them. */
const blockBytes = 4096;

type ReadCallback = (error: Error | null, bytesRead?: number) => void;

/**
 * A zip file for yauzl to read, faster than its own file reader for what a package check does: the
 * central directory (with the end records) is read into memory in one call, so yauzl's two reads per
 * entry are copies, not trips to the thread pool; the other small reads (each entry's local header,
 * then its name and extra fields) come from one 4 KiB block read around them. Entry contents are
 * streamed from the file. yauzl still parses and checks everything; this only changes how bytes arrive.
 */
class ZipFileReader extends yauzl.RandomAccessReader {
  readonly #fd: number;
  readonly #tail: Buffer;
  readonly #tailStart: number;
  #block: { start: number; bytes: Buffer } | undefined;

  constructor(fd: number, tail: Buffer, tailStart: number) {
    super();
    this.#fd = fd;
    this.#tail = tail;
    this.#tailStart = tailStart;
  }

  override _readStreamForRange(start: number, end: number): Readable {
    // Not fs.createReadStream: destroyed before it opened, it closes the descriptor it was given.
    const fd = this.#fd;
    let position = start;
    return new Readable({
      highWaterMark: 256 * 1024,
      read(size) {
        const length = Math.min(Math.max(size, 64 * 1024), end - position);
        if (length <= 0) return void this.push(null);
        const bytes = Buffer.allocUnsafe(length);
        read(fd, bytes, 0, length, position, (error, bytesRead) => {
          if (error) return void this.destroy(error);
          if (bytesRead === 0) return void this.push(null);
          position += bytesRead;
          this.push(bytesRead < length ? bytes.subarray(0, bytesRead) : bytes);
        });
      },
    });
  }

  /** yauzl's signature: fills `buffer` from `offset` with `length` bytes of the file at `position`, then calls back with the count. */
  override read(...[buffer, offset, length, position, callback]: [Buffer, number, number, number, ReadCallback]): void {
    const wanted = { target: buffer, offset, length, position };
    if (copied(this.#tail, this.#tailStart, wanted)) return process.nextTick(callback, null, length);
    const block = this.#block;
    if (block && copied(block.bytes, block.start, wanted)) return process.nextTick(callback, null, length);
    if (length > blockBytes / 2) {
      read(this.#fd, buffer, offset, length, position, (error, bytesRead) => callback(error, bytesRead));
      return;
    }
    const bytes = Buffer.allocUnsafe(blockBytes);
    read(this.#fd, bytes, 0, blockBytes, position, (error, bytesRead) => {
      if (error) return callback(error);
      this.#block = { start: position, bytes: bytes.subarray(0, bytesRead) };
      const available = Math.min(length, bytesRead);
      bytes.copy(buffer, offset, 0, available);
      callback(null, available);
    });
  }

  override close(callback: (error: Error | null) => void): void {
    close(this.#fd, callback);
  }
}

type Wanted = { target: Buffer; offset: number; length: number; position: number };

/** Copies the wanted bytes of the file from `source` (which holds the file from `sourceStart`), when it has them all. */
function copied(source: Buffer, sourceStart: number, { target, offset, length, position }: Wanted): boolean {
  if (position < sourceStart || position + length > sourceStart + source.length) return false;
  source.copy(target, offset, position - sourceStart, position - sourceStart + length);
  return true;
}

/**
 * Opens a zip file with yauzl (the options as `yauzl.open` takes them; `lazyEntries` is always on)
 * through `ZipFileReader`. Closing the zip closes the file.
 */
export async function openZipFile(path: string, options: yauzl.Options): Promise<yauzl.ZipFile> {
  const fd = await openFile(path, 'r');
  try {
    const { size } = await statFd(fd);
    const { tail, tailStart } = await readTail(fd, size);
    const reader = new ZipFileReader(fd, tail, tailStart);
    return await yauzl.fromRandomAccessReaderPromise(reader, size, options);
  } catch (error) {
    close(fd, () => undefined);
    throw error;
  }
}

/** The end of the file from the start of its central directory, when the end record says where that is and it is not too large; else its last 64 KiB. */
async function readTail(fd: number, size: number): Promise<{ tail: Buffer; tailStart: number }> {
  const endBytes = Math.min(size, endOfDirectoryBytes + maxCommentBytes);
  const end = Buffer.allocUnsafe(endBytes);
  const { bytesRead } = await readAt(fd, end, 0, endBytes, size - endBytes);
  const last = { tail: end.subarray(0, bytesRead), tailStart: size - endBytes };
  for (let at = bytesRead - endOfDirectoryBytes; at >= 0; at -= 1) {
    if (end.readUInt32LE(at) !== endOfDirectorySignature) continue;
    const directoryOffset = end.readUInt32LE(at + 16);
    // Zip64 keeps the real offset elsewhere; yauzl finds it with ordinary reads.
    if (directoryOffset === 0xffffffff || directoryOffset >= last.tailStart || size - directoryOffset > maxPreloadedBytes) return last;
    const tail = Buffer.allocUnsafe(size - directoryOffset);
    const read = await readAt(fd, tail, 0, tail.length, directoryOffset);
    return { tail: tail.subarray(0, read.bytesRead), tailStart: directoryOffset };
  }
  return last;
}
