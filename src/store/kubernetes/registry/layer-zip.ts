import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import yazl from 'yazl';

const fileType = 0o100000;
const directoryType = 0o040000;
const symlinkType = 0o120000;

/**
 * A package image's tar layer (as zip-layer.ts writes it, or Korifi's uploader) turned back into a
 * package zip: entries in layer order, paths without the leading `/`, permission bits from the tar
 * header (0644 files and 0755 directories where the header has none), symbolic links kept. Streamed:
 * one entry is read at a time. A layer that fails makes the zip stream fail.
 */
export function tarLayerAsZip(layer: Readable): Readable {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  const extract = tar.extract();
  extract.on('entry', (header, content, next) => {
    const path = header.name.replace(/^\/+/, '').replace(/\/+$/, '');
    const permissions = (header.mode ?? 0) & 0o7777;
    const done = (): void => {
      content.on('end', () => next());
      content.resume();
    };
    if (path === '' || path === '.') return done();
    if (header.type === 'directory') {
      zip.addEmptyDirectory(path, { mode: directoryType | (permissions || 0o755) });
      return done();
    }
    if (header.type === 'symlink') {
      zip.addBuffer(Buffer.from(header.linkname ?? '', 'utf8'), path, { mode: symlinkType | 0o777, compress: false });
      return done();
    }
    if (header.type !== 'file') return done();
    const toZip = new PassThrough();
    zip.addReadStream(toZip, path, { mode: fileType | (permissions || 0o644) });
    content.once('end', () => next());
    content.pipe(toZip);
  });
  pipeline(layer, extract).then(
    () => zip.end(),
    (error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return output;
}
