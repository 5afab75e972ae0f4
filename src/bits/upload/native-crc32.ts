import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';

/**
 * yazl computes every entry's CRC-32 with the `buffer-crc32` package, a byte-at-a-time loop in
 * JavaScript: rebuilding a 300 MB package spent most of a second of CPU there. Node computes the same
 * checksum natively (`zlib.crc32`, the same polynomial and the same chaining of the previous value), so
 * the package's `unsigned` function, the only one yazl calls, is pointed at it for Buffers (anything
 * else still goes to the original). Imported for its effect by the modules that write zips with yazl.
 */
type BufferCrc32 = { unsigned: (input: unknown, previous?: unknown) => number; nativeUnsigned?: true };

const requireFromYazl = createRequire(createRequire(import.meta.url).resolve('yazl'));
const bufferCrc32 = requireFromYazl('buffer-crc32') as BufferCrc32;
if (!bufferCrc32.nativeUnsigned) {
  const original = bufferCrc32.unsigned;
  bufferCrc32.unsigned = (input, previous) =>
    Buffer.isBuffer(input) && (previous === undefined || typeof previous === 'number')
      ? crc32(input, previous ?? 0)
      : original(input, previous);
  bufferCrc32.nativeUnsigned = true;
}
