import { Worker } from 'node:worker_threads';
import {
  workerSource,
  type StreamedEntry,
  type StreamWorkerData,
  type StreamWorkerMessage,
  type StreamWorkerReply,
} from './zip-stream-check-worker.ts';

/** What reading the zip while it arrived found: its file entries, by the offset of their local header. */
export type StreamedZipEntries = ReadonlyMap<number, StreamedEntry>;

/** One slot of the ring the zip passes through to the worker: one message per slot filled. */
const slotBytes = 1024 * 1024;
/** Slots in the ring: the bytes handed over and not yet taken by the worker; when all are, the upload waits for it. */
const slotCount = 4;
/** Below this (at most the ring's size), the check after the upload is quicker than starting a worker. */
export const defaultStreamCheckThresholdBytes = slotCount * slotBytes;

/**
 * Reads an uploaded zip in a worker thread while it arrives (see `zip-stream-check-worker.ts`), so
 * that checking it mostly overlaps receiving it. `write` each chunk of the zip in order, then `finish`
 * once it is all there (or `abort` when the upload fails). What it finds are hints for
 * `checkZipContents`, which confirms each against the central directory; it never fails an upload:
 * a worker that stops or fails just leaves more to check afterwards.
 *
 * The bytes pass through a ring of slots in memory shared with the worker, allocated once: no memory
 * is allocated, transferred and collected per batch. A slot is filled again only once the worker has
 * taken it, so a worker that falls behind slows the upload (`write` then returns a promise) rather
 * than letting memory grow.
 */
export class ZipStreamCheck {
  readonly #fingerprints: boolean;
  readonly #thresholdBytes: number;
  /** Slots the worker has taken (index 0), moved and notified by the worker. */
  readonly #taken = new Int32Array(new SharedArrayBuffer(4));
  #ring: SharedArrayBuffer | undefined;
  #worker: Worker | undefined;
  #reply: Promise<StreamWorkerReply> | undefined;
  /** The slot being filled, and how far. */
  #slot: Buffer | undefined;
  #filled = 0;
  /** Slots filled so far (the next one is `#handed % slotCount`), and how many of them were sent to the worker. */
  #handed = 0;
  #sent = 0;
  #received = 0;
  #stopped = false;

  constructor({
    fingerprints,
    thresholdBytes = defaultStreamCheckThresholdBytes,
  }: {
    fingerprints: boolean;
    thresholdBytes?: number | undefined;
  }) {
    this.#fingerprints = fingerprints;
    this.#thresholdBytes = thresholdBytes;
  }

  /**
   * The zip's next bytes. Returns a promise when they could not all be handed over yet because the
   * worker has fallen behind: the caller waits for it before it writes more.
   */
  write(chunk: Buffer): Promise<void> | undefined {
    if (this.#stopped) return undefined;
    this.#received += chunk.length;
    return this.#copy(chunk, 0);
  }

  /** Every byte is there: resolves with what the worker found, or undefined when it never started or failed. */
  async finish(): Promise<StreamedZipEntries | undefined> {
    if (!this.#stopped && this.#filled > 0) this.#hand();
    this.#stopped = true;
    const worker = this.#worker;
    if (worker === undefined) return undefined;
    try {
      worker.postMessage({ end: true } satisfies StreamWorkerMessage);
      const reply = await this.#reply!;
      return new Map(reply.entries.map((entry) => [entry.offset, entry]));
    } catch {
      return undefined;
    } finally {
      await worker.terminate();
    }
  }

  /** The upload failed: the worker goes. */
  abort(): void {
    this.#stop();
    void this.#worker?.terminate();
  }

  /** Copies `chunk` from `offset` into the ring, waiting for free slots when it must. */
  #copy(chunk: Buffer, offset: number): Promise<void> | undefined {
    while (offset < chunk.length) {
      if (this.#stopped) return undefined;
      if (this.#slot === undefined) {
        const taken = Atomics.load(this.#taken, 0);
        if (this.#handed - taken >= slotCount) {
          const from = offset;
          return this.#slotTaken(taken).then(() => this.#copy(chunk, from));
        }
        this.#ring ??= new SharedArrayBuffer(slotCount * slotBytes);
        this.#slot = Buffer.from(this.#ring, (this.#handed % slotCount) * slotBytes, slotBytes);
      }
      const copied = chunk.copy(this.#slot, this.#filled, offset);
      this.#filled += copied;
      offset += copied;
      if (this.#filled === slotBytes) this.#hand();
    }
    return undefined;
  }

  /** Resolves once the worker has taken more than `taken` slots (or has stopped). */
  async #slotTaken(taken: number): Promise<void> {
    const waiting = Atomics.waitAsync(this.#taken, 0, taken);
    if (waiting.async) await waiting.value;
  }

  /** The slot being filled is handed over: sent to the worker, or held until the zip is large enough to start it. */
  #hand(): void {
    const length = this.#filled;
    this.#slot = undefined;
    this.#filled = 0;
    this.#handed += 1;
    if (this.#worker === undefined) {
      if (this.#received < this.#thresholdBytes && this.#handed < slotCount) return;
      this.#start();
    }
    while (this.#sent < this.#handed - 1) this.#send(slotBytes);
    this.#send(length);
  }

  #send(length: number): void {
    this.#worker!.postMessage({ slot: this.#sent % slotCount, length } satisfies StreamWorkerMessage);
    this.#sent += 1;
  }

  /** No more bytes go to the worker; a write waiting for a slot goes on (and hands nothing). */
  #stop(): void {
    this.#stopped = true;
    Atomics.notify(this.#taken, 0);
  }

  #start(): void {
    const worker = new Worker(workerSource, {
      eval: true,
      workerData: { fingerprints: this.#fingerprints, ring: this.#ring!, slotBytes, taken: this.#taken } satisfies StreamWorkerData,
      // Every file inflated is new memory: a young generation smaller than this collects several times a second.
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 32 },
    });
    this.#worker = worker;
    this.#reply = new Promise<StreamWorkerReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`The zip stream check worker exited with ${code} before it answered`)));
    });
    // A worker that fails lets a waiting write go on; settled here too, so that it is no unhandled rejection.
    this.#reply.catch(() => this.#stop());
  }
}
