import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { InvalidPackageBits } from '../bits-errors.ts';
import type { ResourceCache } from '../bits-store.ts';

/** The bytes a package's files have unpacked to so far, against its limit; `signal` ends waits for slow readers. */
export type UnpackedBytes = { bytes: number; limit: number; signal?: AbortSignal };

/**
 * Reads one file of a package, counting its bytes against the package's limit (a zip bomb throws
 * `InvalidPackageBits` as soon as it passes it), and hands them on to the resource cache when one is
 * given and to `toZip` when the file goes into a rebuilt zip. Resolves once everything is handed over.
 */
export async function copyCounted(
  content: Readable,
  counter: UnpackedBytes,
  cache: ResourceCache | undefined,
  toZip?: PassThrough,
): Promise<void> {
  const toCache = cache ? new PassThrough() : undefined;
  const kept = toCache ? cache!.keep(toCache).catch(() => undefined) : undefined;
  try {
    for await (const chunk of content) {
      counter.bytes += (chunk as Buffer).length;
      if (counter.bytes > counter.limit) throw new InvalidPackageBits(`The package unpacks to more than ${counter.limit} bytes.`);
      await handOn(chunk as Buffer, toCache, toZip, counter.signal);
    }
  } catch (error) {
    toCache?.destroy();
    toZip?.destroy();
    content.destroy();
    throw error;
  }
  toCache?.end();
  toZip?.end();
  await kept;
}

async function handOn(
  chunk: Buffer,
  toCache: PassThrough | undefined,
  toZip: PassThrough | undefined,
  signal?: AbortSignal,
): Promise<void> {
  if (toCache && !toCache.destroyed && !toCache.write(chunk)) await drained(toCache, signal);
  if (toZip && !toZip.write(chunk)) await once(toZip, 'drain', signal ? { signal } : {});
}

/** Waits until `stream` takes more, or until it is gone (a cache that failed to keep the file is no reason to stop). */
async function drained(stream: PassThrough, signal: AbortSignal | undefined): Promise<void> {
  if (stream.destroyed) return;
  const stop = new AbortController();
  const both = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  await Promise.race([once(stream, 'drain', { signal: both }), once(stream, 'close', { signal: both })]).finally(() => stop.abort());
}
