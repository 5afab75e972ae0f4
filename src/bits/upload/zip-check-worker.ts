import type { MessagePort } from 'node:worker_threads';

/**
 * The worker threads of `checkFilesInWorkers`: each reads each of its files of a spooled zip (local header and
 * compressed data in one read, into one reused buffer), inflates it in this thread and checks that it
 * holds exactly its declared size, and hashes it (SHA-1) when asked. Its own small heap takes the
 * garbage of inflating, and the server's event loop stays free. Posts the results, or the first failure.
 *
 * The worker runs `workerMain`'s own source (`workerSource`), plain JavaScript once Node has stripped
 * its types: a worker that loaded a TypeScript module would first start Node's type stripper, which
 * costs about three times what starting the worker does. So `workerMain` uses nothing from outside it
 * but Node's built-in modules (`process.getBuiltinModule`).
 */

/** One file to check: where its local header is, and what its directory record declares. */
export type WorkerFile = {
  readonly offset: number;
  readonly name: Uint8Array;
  readonly compressedSize: number;
  readonly declaredBytes: number;
  readonly method: number;
};
export type WorkerJob = { readonly file: string; readonly fileBytes: number; readonly fingerprints: boolean; readonly files: WorkerFile[] };
export type WorkerFileResult = { readonly dataStart: number; readonly namesAgree: boolean; readonly sha1: string };
/** Why a file failed: its local header (not a zip), its size (a lie), or its data (corrupt). */
export type WorkerFailure = { readonly index: number; readonly reason: 'header' | 'size' | 'corrupt'; readonly message: string };
export type WorkerReply = { readonly results: WorkerFileResult[] } | { readonly failure: WorkerFailure };

/** The whole program of a worker: self-contained, see above. */
export function workerMain(): void {
  const { createHash } = process.getBuiltinModule('node:crypto');
  const { closeSync, openSync, readSync } = process.getBuiltinModule('node:fs');
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads') as {
    parentPort: MessagePort | null;
    workerData: WorkerJob;
  };
  const { inflateRawSync } = process.getBuiltinModule('node:zlib');

  const localHeaderSignature = 0x04034b50;
  const localHeaderBytes = 30;

  class Refusal extends Error {
    readonly reason: WorkerFailure['reason'];
    constructor(reason: WorkerFailure['reason'], message: string) {
      super(message);
      this.reason = reason;
    }
  }

  function checkFiles({ file, fileBytes, fingerprints, files }: WorkerJob): WorkerReply {
    const reader = { fd: openSync(file, 'r'), fileBytes, buffer: Buffer.allocUnsafe(1024 * 1024) };
    const results: WorkerFileResult[] = [];
    try {
      for (const [index, entry] of files.entries()) {
        try {
          results.push(checkFile(reader, entry, fingerprints));
        } catch (error) {
          const reason = error instanceof Refusal ? error.reason : 'corrupt';
          return { failure: { index, reason, message: error instanceof Error ? error.message : String(error) } };
        }
      }
      return { results };
    } finally {
      closeSync(reader.fd);
    }
  }

  type Reader = { fd: number; fileBytes: number; buffer: Buffer };

  /** One file: its local header and data in one read (the header's name and extra fields guessed as long as the directory's name plus 1 KiB, nearly always enough). */
  function checkFile(reader: Reader, entry: WorkerFile, fingerprints: boolean): WorkerFileResult {
    const length = Math.min(localHeaderBytes + entry.name.length + 1024 + entry.compressedSize, reader.fileBytes - entry.offset);
    if (length < localHeaderBytes) throw new Refusal('header', 'the local header lies outside the file');
    if (reader.buffer.length < length) reader.buffer = Buffer.allocUnsafe(length);
    const { buffer } = reader;
    const bytesRead = readSync(reader.fd, buffer, 0, length, entry.offset);
    if (bytesRead < localHeaderBytes || buffer.readUInt32LE(0) !== localHeaderSignature)
      throw new Refusal('header', `invalid local file header signature at ${entry.offset}`);
    const nameLength = buffer.readUInt16LE(26);
    const headerLength = localHeaderBytes + nameLength + buffer.readUInt16LE(28);
    const dataStart = entry.offset + headerLength;
    if (dataStart + entry.compressedSize > reader.fileBytes) throw new Refusal('header', 'file data overflows file bounds');
    const namesAgree =
      nameLength === entry.name.length && buffer.subarray(localHeaderBytes, localHeaderBytes + nameLength).equals(entry.name);
    const data =
      headerLength + entry.compressedSize <= bytesRead
        ? buffer.subarray(headerLength, headerLength + entry.compressedSize)
        : readData(reader, dataStart, entry.compressedSize);
    const content = entry.method === 0 ? data : inflated(data, entry.declaredBytes);
    if (content.length !== entry.declaredBytes)
      throw new Refusal('size', `too ${content.length > entry.declaredBytes ? 'many' : 'few'} bytes in the stream`);
    return { dataStart, namesAgree, sha1: fingerprints ? createHash('sha1').update(content).digest('hex') : '' };
  }

  function readData(reader: Reader, dataStart: number, compressedSize: number): Buffer {
    const data = Buffer.allocUnsafe(compressedSize);
    if (readSync(reader.fd, data, 0, data.length, dataStart) !== data.length)
      throw new Refusal('corrupt', 'the file ends before the entry does');
    return data;
  }

  /** Inflates at most one byte more than declared, so that a file holding more than it declares is seen without inflating it all. */
  function inflated(data: Buffer, declaredBytes: number): Buffer {
    try {
      return inflateRawSync(data, { maxOutputLength: declaredBytes + 1, chunkSize: Math.max(64, declaredBytes + 1) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Refusal('size', 'too many bytes in the stream');
      throw new Refusal('corrupt', error instanceof Error ? error.message : String(error));
    }
  }

  parentPort?.postMessage(checkFiles(workerData));
}

/** What a worker runs: `workerMain`, called. */
export const workerSource = `(${workerMain.toString()})();`;
