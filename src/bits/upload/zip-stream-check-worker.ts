import type { MessagePort } from 'node:worker_threads';

/**
 * The worker thread of `ZipStreamCheck`: reads an uploaded zip front to back while it is still
 * arriving, entry by entry from the local headers, inflates each file and notes what it really holds
 * (its byte count and, when asked, its SHA-1), so that the check after the upload only has to compare
 * these notes with the central directory instead of reading every file again.
 *
 * The notes are hints, never a verdict: whatever the worker cannot read plainly (a stored entry with a
 * data descriptor, whose end is unknown; zip64; an entry too large to hold; a bad signature; corrupt
 * data) ends its reading, and the entries it did not note are checked after the upload as before. An
 * entry with a data descriptor (as Go's archive/zip, so the cf CLI, writes every file) ends where its
 * deflate stream ends, found by inflating what has arrived: a try that runs out of input is tried again
 * once twice as many bytes are there.
 *
 * Like `zip-check-worker.ts`, the program is `workerMain`'s own source, plain JavaScript once Node has
 * stripped its types, using nothing but Node's built-in modules, so the worker never starts Node's
 * TypeScript stripper.
 */

/**
 * The ring the zip's bytes come through (`slotBytes` a slot), and the count of slots the worker has
 * taken (index 0, moved and notified after each), both in memory shared with the server's thread.
 */
export type StreamWorkerData = {
  readonly fingerprints: boolean;
  readonly ring: SharedArrayBuffer;
  readonly slotBytes: number;
  readonly taken: Int32Array;
};
/** From the server: a slot holding the zip's next `length` bytes, or the end of the zip. */
export type StreamWorkerMessage = { readonly slot: number; readonly length: number } | { readonly end: true };
/** One file entry as the worker read it. */
export type StreamedEntry = {
  /** Where its local header starts in the zip. */
  readonly offset: number;
  /** Where its compressed data starts. */
  readonly dataStart: number;
  /** The name's raw bytes, as the local header has them. */
  readonly name: Uint8Array;
  readonly method: number;
  /** Its compressed bytes, as read (up to the end of its deflate stream). */
  readonly compressedSize: number;
  /** The bytes it holds once inflated. */
  readonly size: number;
  /** SHA-1 (hex) of what it holds; empty without fingerprints. */
  readonly sha1: string;
};
/** What the worker answers to the end: the entries it read, in order, and why it stopped early, if it did. */
export type StreamWorkerReply = { readonly entries: StreamedEntry[]; readonly stoppedBecause: string | undefined };

/** The whole program of the worker: self-contained, see above. */
export function workerMain(): void {
  const { createHash } = process.getBuiltinModule('node:crypto');
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads') as {
    parentPort: MessagePort | null;
    workerData: StreamWorkerData;
  };
  const { inflateRawSync } = process.getBuiltinModule('node:zlib');

  const signatures = { local: 0x04034b50, central: 0x02014b50, end: 0x06054b50 };
  const descriptorSignature = Buffer.from([0x50, 0x4b, 0x07, 0x08]);
  const localHeaderBytes = 30;
  /** The largest entry held whole, compressed or inflated: larger ones end the reading (checked after the upload). */
  const maxEntryBytes = 16 * 1024 * 1024;
  const dataDescriptorFlag = 0x08;

  const { fingerprints, ring, slotBytes, taken } = workerData;
  const entries: StreamedEntry[] = [];
  let stoppedBecause: string | undefined;
  let ended = false;

  /** The bytes that arrived and are not read yet: `window[start, end)` holds the zip from offset `base`. */
  let window = Buffer.allocUnsafe(2 * 1024 * 1024);
  let start = 0;
  let end = 0;
  let base = 0;
  /** The zip's offset the reading is at, and the entry whose data is being waited for. */
  let position = 0;
  let pending: { offset: number; name: Uint8Array; method: number; flags: number; compressedSize: number; size: number } | undefined;
  /** How far the current entry's data was searched for its data descriptor. */
  let searchedTo = 0;

  const available = (): number => base + (end - start) - position;
  const at = (offset: number): number => start + (offset - base);

  function append(bytes: Buffer): void {
    if (stoppedBecause !== undefined) return;
    // Bytes before the reading position are done with: keep only the rest, at the front.
    const keepFrom = at(position);
    if (end + bytes.length > window.length) {
      const kept = end - keepFrom;
      const target = kept + bytes.length > window.length ? Buffer.allocUnsafe(Math.max(window.length * 2, kept + bytes.length)) : window;
      window.copy(target, 0, keepFrom, end);
      window = target;
      base = position;
      start = 0;
      end = kept;
    }
    bytes.copy(window, end);
    end += bytes.length;
  }

  function stop(reason: string): void {
    stoppedBecause ??= reason;
  }

  /** Reads as far as the bytes there allow. */
  function advance(): void {
    while (stoppedBecause === undefined) {
      if (pending === undefined) {
        if (!readLocalHeader()) return;
      } else if (!readData(pending)) return;
    }
  }

  /** A local header, when all of it is there; the central directory ends the reading (all entries were read). */
  function readLocalHeader(): boolean {
    if (available() < 4) return waitOr('the zip ended inside a local header');
    const signature = window.readUInt32LE(at(position));
    if (signature === signatures.central || signature === signatures.end) {
      stop('done');
      return false;
    }
    if (signature !== signatures.local) {
      stop(`no local header at ${position}`);
      return false;
    }
    if (available() < localHeaderBytes) return waitOr('the zip ended inside a local header');
    const header = at(position);
    const nameLength = window.readUInt16LE(header + 26);
    const extraLength = window.readUInt16LE(header + 28);
    if (available() < localHeaderBytes + nameLength + extraLength) return waitOr('the zip ended inside a local header');
    const flags = window.readUInt16LE(header + 6);
    const compressedSize = window.readUInt32LE(header + 18);
    const size = window.readUInt32LE(header + 22);
    if (compressedSize === 0xffffffff || size === 0xffffffff) {
      stop(`zip64 entry at ${position}`);
      return false;
    }
    const nameStart = header + localHeaderBytes;
    pending = {
      offset: position,
      name: new Uint8Array(window.subarray(nameStart, nameStart + nameLength)),
      method: window.readUInt16LE(header + 8),
      flags,
      compressedSize,
      size,
    };
    position += localHeaderBytes + nameLength + extraLength;
    searchedTo = position;
    return true;
  }

  /** Waits for more bytes, unless none will come. */
  function waitOr(reason: string): boolean {
    if (ended) stop(reason);
    return false;
  }

  /** The entry's data (and data descriptor), when there. */
  function readData(entry: NonNullable<typeof pending>): boolean {
    if (entry.method !== 0 && entry.method !== 8) {
      stop(`compression method ${entry.method} at ${entry.offset}`);
      return false;
    }
    if ((entry.flags & dataDescriptorFlag) === 0) return readSizedData(entry);
    if (entry.method === 0) {
      stop(`stored entry with a data descriptor at ${entry.offset}`);
      return false;
    }
    return readDescribedData(entry);
  }

  /** Data whose size the local header gives. */
  function readSizedData(entry: NonNullable<typeof pending>): boolean {
    if (entry.compressedSize > maxEntryBytes || entry.size > maxEntryBytes) {
      stop(`entry too large to hold at ${entry.offset}`);
      return false;
    }
    if (available() < entry.compressedSize) return waitOr('the zip ended inside an entry');
    const data = window.subarray(at(position), at(position) + entry.compressedSize);
    const content = entry.method === 0 ? data : inflated(data, entry.size + 1, entry.offset);
    if (content === undefined) return false;
    note(entry, entry.compressedSize, content);
    position += entry.compressedSize;
    return true;
  }

  /**
   * Deflated data followed by a data descriptor (its signature, CRC-32, compressed and inflated
   * sizes): its end is the first descriptor whose compressed size is its distance from the data's
   * start, confirmed by inflating exactly those bytes to exactly the size it gives. Searched for in
   * what has arrived, from where the last search ended.
   */
  function readDescribedData(entry: NonNullable<typeof pending>): boolean {
    const arrived = window.subarray(0, end);
    const dataStart = at(position);
    for (let from = Math.max(at(searchedTo), dataStart); ;) {
      const found = arrived.indexOf(descriptorSignature, from);
      if (found < 0 || end - found < 16) {
        searchedTo = base + (found < 0 ? Math.max(dataStart, end - 3) : found) - start;
        if (end - dataStart > maxEntryBytes) {
          stop(`entry too large to hold at ${entry.offset}`);
          return false;
        }
        return waitOr('the zip ended inside an entry');
      }
      const compressedSize = window.readUInt32LE(found + 8);
      const size = window.readUInt32LE(found + 12);
      if (compressedSize !== found - dataStart) {
        from = found + 1;
        continue;
      }
      if (size > maxEntryBytes) {
        stop(`entry too large to hold at ${entry.offset}`);
        return false;
      }
      const content = inflatedOrUndefined(window.subarray(dataStart, found), size + 1);
      if (content === undefined || content.length !== size) {
        // Bytes of the data that only look like its descriptor: the end is further on.
        from = found + 1;
        continue;
      }
      note(entry, compressedSize, content);
      position += compressedSize + 16;
      return true;
    }
  }

  /** At most `maxOutputLength` bytes inflated in one piece, or undefined when the data is not a whole deflate stream. */
  function inflatedOrUndefined(data: Buffer, maxOutputLength: number): Buffer | undefined {
    try {
      return inflateRawSync(data, { maxOutputLength, chunkSize: Math.max(64, maxOutputLength) });
    } catch {
      return undefined;
    }
  }

  function inflated(data: Buffer, maxOutputLength: number, offset: number): Buffer | undefined {
    const content = inflatedOrUndefined(data, maxOutputLength);
    if (content === undefined) stop(`entry not read at ${offset}`);
    return content;
  }

  function note(entry: NonNullable<typeof pending>, compressedSize: number, content: Buffer): void {
    entries.push({
      offset: entry.offset,
      dataStart: position,
      name: entry.name,
      method: entry.method,
      compressedSize,
      size: content.length,
      sha1: fingerprints ? createHash('sha1').update(content).digest('hex') : '',
    });
    pending = undefined;
  }

  parentPort?.on('message', (message: StreamWorkerMessage) => {
    if ('slot' in message) {
      // Copied out at once, so that the slot can be filled again.
      append(Buffer.from(ring, message.slot * slotBytes, message.length));
      Atomics.add(taken, 0, 1);
      Atomics.notify(taken, 0);
      advance();
      return;
    }
    ended = true;
    advance();
    parentPort.postMessage({ entries, stoppedBecause: stoppedBecause === 'done' ? undefined : stoppedBecause } satisfies StreamWorkerReply);
  });
}

/** What the worker runs: `workerMain`, called. */
export const workerSource = `(${workerMain.toString()})();`;
