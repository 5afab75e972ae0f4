import { InvalidPackageBits } from '../bits-errors.ts';
import { pathProblem } from './package-paths.ts';

/** A file the client did not send because resource matching said the cache holds it. */
export type MatchedResource = {
  readonly path: string;
  readonly sha1: string;
  readonly sizeBytes: number;
  /** Unix permission bits, from the octal string the cf CLI sends (`"644"`). */
  readonly mode: number;
};

/** The mode of a file the client sent without one (Cloud Controller's default). */
const defaultFileMode = 0o644;

/**
 * Reads the upload's `resources` field: a JSON list in either shape Cloud Controller accepts, the one
 * the cf CLI sends (`{"fn","sha1","size","mode"}`) or the V3 one (`{"path","checksum":{"value"},
 * "size_in_bytes","mode"}`). Throws `InvalidPackageBits` naming the first bad item.
 */
export function parseMatchedResources(text: string): MatchedResource[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new InvalidPackageBits('The resources field must be a JSON list of the matched files.');
  }
  if (!Array.isArray(document)) throw new InvalidPackageBits('The resources field must be a JSON list of the matched files.');
  const seen = new Set<string>();
  return document.map((item: unknown, index) => {
    const resource = parseResource(item, index);
    if (seen.has(resource.path)) throw new InvalidPackageBits(`The resources field names the path '${resource.path}' twice.`);
    seen.add(resource.path);
    return resource;
  });
}

function parseResource(item: unknown, index: number): MatchedResource {
  const invalid = (what: string): InvalidPackageBits => new InvalidPackageBits(`Resource ${index} of the resources field ${what}.`);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalid('is not an object');
  const fields = item as Record<string, unknown>;
  const path = filePath(fields, invalid);
  return { path, sha1: sha1Of(fields, invalid), sizeBytes: sizeOf(fields, invalid), mode: parseMode(fields['mode'], path, invalid) };
}

type Invalid = (what: string) => InvalidPackageBits;

function filePath(fields: Record<string, unknown>, invalid: Invalid): string {
  const path = fields['fn'] ?? fields['path'];
  if (typeof path !== 'string') throw invalid('has no path (fn or path)');
  if (pathProblem(path) || path.endsWith('/')) throw invalid(`has the path '${path}', which must name a file inside the package`);
  return path;
}

function sha1Of(fields: Record<string, unknown>, invalid: Invalid): string {
  const checksum = fields['checksum'];
  const sha1 =
    fields['sha1'] ?? (typeof checksum === 'object' && checksum !== null ? (checksum as Record<string, unknown>)['value'] : undefined);
  if (typeof sha1 !== 'string' || !/^[0-9a-fA-F]{40}$/.test(sha1)) throw invalid('has no SHA-1 (sha1 or checksum.value, 40 hex digits)');
  return sha1.toLowerCase();
}

function sizeOf(fields: Record<string, unknown>, invalid: Invalid): number {
  const size = fields['size'] ?? fields['size_in_bytes'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw invalid('has no size (size or size_in_bytes, a whole number)');
  return size;
}

function parseMode(mode: unknown, path: string, invalid: Invalid): number {
  if (mode === undefined || mode === null || mode === '') return defaultFileMode;
  if (typeof mode !== 'string' || !/^0?[0-7]{1,3}$/.test(mode))
    throw invalid(`has the mode ${JSON.stringify(mode)}; a mode is an octal string like "644"`);
  const bits = Number.parseInt(mode, 8);
  // Cloud Controller's rule: the owner must be able to read and write every file of a package.
  if ((bits & 0o600) !== 0o600)
    throw new InvalidPackageBits(
      `The resource file mode is invalid: File mode '${mode}' with path '${path}' is invalid. Minimum file mode is '0600'.`,
    );
  return bits;
}
