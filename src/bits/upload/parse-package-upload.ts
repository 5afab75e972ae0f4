import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { InvalidPackageBits, UnparseableUpload } from '../bits-errors.ts';
import { parseMatchedResources, type MatchedResource } from './uploaded-resources.ts';
import { ZipStreamCheck, type StreamedZipEntries } from './zip-stream-check.ts';

/**
 * The `resources` field lists every matched file (a path, a SHA-1, a size, a mode: about 150 bytes
 * each), so it is bounded on its own; a list this long names far more files than any package holds.
 */
const maxResourcesFieldBytes = 32 * 1024 * 1024;

export type PackageUploadOptions = {
  /** Where the zip is spooled: it must be read at random (its directory is at the end), so it goes to disk. */
  spoolDirectory: string;
  /** `packages.maxUploadBytes`: the largest `bits` part accepted. */
  maxUploadBytes: number;
  /** Read the zip while it arrives (`ZipStreamCheck`), hashing its files (SHA-1) when `fingerprints`; off when absent. */
  streamCheck?: { fingerprints: boolean; thresholdBytes?: number | undefined };
};

export type ParsedPackageUpload = {
  /** The spooled `bits` part (a 0600 file), when the body had one. */
  readonly bitsFile: string | undefined;
  /** The spooled file's sha256 (hex), computed while it was written, so that storing it needs no second read. */
  readonly bitsSha256: string | undefined;
  /** What reading the zip while it arrived found (with `streamCheck`, for zips large enough), for `checkZipContents`. */
  readonly streamed: StreamedZipEntries | undefined;
  /** The `resources` field: files the client left out because the cache holds them. */
  readonly resources: MatchedResource[];
  /** Removes the spooled file; call it once the package is stored or refused. */
  discard(): Promise<void>;
};

/**
 * Reads a `POST /v3/packages/{guid}/upload` body as the cf CLI sends it: a multipart form with the
 * field `resources` (JSON) and the file part `bits` (the zip, named `package.zip`), either of which
 * may be missing but not both. The zip is streamed to a file, never held in memory. Throws
 * `UnparseableUpload` (a body that is not such a form) or `InvalidPackageBits` (over a limit, bad
 * resources, neither part) and then leaves no file behind.
 */
export async function parsePackageUpload(
  body: Readable,
  headers: IncomingHttpHeaders,
  options: PackageUploadOptions,
): Promise<ParsedPackageUpload> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers,
      limits: { fileSize: options.maxUploadBytes, fieldSize: maxResourcesFieldBytes, files: 2, fields: 10, parts: 12 },
    });
  } catch (error) {
    throw new UnparseableUpload(UnparseableUpload.detail, { cause: error });
  }
  const spool: Spool = { files: [], writes: [] };
  const discard = async (): Promise<void> => {
    // Writes settle first (a failed upload destroys them), so no file appears after its removal.
    await Promise.allSettled(spool.writes);
    await Promise.all(spool.files.map((file) => rm(file, { force: true })));
  };
  try {
    const parts = await readParts(body, parser, options, spool);
    if (parts.bitsFile === undefined && parts.resourcesText === undefined) throw new InvalidPackageBits('Upload must include bits');
    const resources = parts.resourcesText === undefined ? [] : parseMatchedResources(parts.resourcesText);
    return { bitsFile: parts.bitsFile, bitsSha256: parts.bitsSha256, streamed: await parts.streamed, resources, discard };
  } catch (error) {
    await discard();
    throw error;
  }
}

type RawParts = {
  bitsFile: string | undefined;
  bitsSha256: string | undefined;
  streamed: Promise<StreamedZipEntries | undefined> | undefined;
  resourcesText: string | undefined;
};
type Spool = { files: string[]; writes: Promise<void>[] };

function readParts(body: Readable, parser: busboy.Busboy, options: PackageUploadOptions, spool: Spool): Promise<RawParts> {
  return new Promise<RawParts>((resolve, reject) => {
    const parts: RawParts = { bitsFile: undefined, bitsSha256: undefined, streamed: undefined, resourcesText: undefined };
    const fileStreams: Readable[] = [];
    let failed = false;
    const fail = (error: unknown): void => {
      if (failed) return;
      failed = true;
      const failure = error instanceof Error ? error : new Error(String(error));
      body.unpipe(parser);
      body.resume();
      // Destroyed with the error: a part whose data had all arrived (its end not yet read) destroyed
      // without one counts as finished for pipeline, which then waits for the spool file forever.
      for (const stream of fileStreams) stream.destroy(failure);
      reject(failure);
    };

    parser.on('field', (name, value, info) => {
      if (name !== 'resources') return;
      if (info.valueTruncated) return fail(new InvalidPackageBits(`The resources field is larger than ${maxResourcesFieldBytes} bytes.`));
      if (parts.resourcesText !== undefined) return fail(new InvalidPackageBits('The upload has more than one resources field.'));
      parts.resourcesText = value;
    });
    parser.on('file', (name, stream) => {
      if (name !== 'bits') {
        stream.resume();
        return;
      }
      if (parts.bitsFile !== undefined) {
        stream.resume();
        return fail(new InvalidPackageBits('The upload has more than one bits part.'));
      }
      const file = join(options.spoolDirectory, `upload-${randomBytes(12).toString('hex')}.zip`);
      parts.bitsFile = file;
      spool.files.push(file);
      fileStreams.push(stream);
      stream.on('limit', () => fail(new InvalidPackageBits(`The package is larger than the limit of ${options.maxUploadBytes} bytes.`)));
      const hash = createHash('sha256');
      const streamCheck = options.streamCheck ? new ZipStreamCheck(options.streamCheck) : undefined;
      const hashing = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          const behind = streamCheck?.write(chunk);
          if (behind) void behind.then(() => callback(null, chunk));
          else callback(null, chunk);
        },
      });
      spool.writes.push(
        pipeline(stream, hashing, createWriteStream(file, { flags: 'wx', mode: 0o600, highWaterMark: 1024 * 1024 })).then(
          () => {
            parts.bitsSha256 = hash.digest('hex');
            parts.streamed = streamCheck?.finish();
          },
          (error: unknown) => {
            streamCheck?.abort();
            fail(error);
          },
        ),
      );
    });
    parser.on('error', (error) => fail(new UnparseableUpload(UnparseableUpload.detail, { cause: error })));
    parser.on('close', () => {
      void Promise.all(spool.writes).then(() => {
        if (!failed) resolve(parts);
      });
    });
    body.on('error', fail);
    // A client that goes away mid-body: the request stream ends early or is aborted.
    body.on('aborted', () => fail(new UnparseableUpload('The upload was interrupted')));
    body.pipe(parser);
  });
}
