import { posix } from 'node:path';

/**
 * Why `path` cannot name a file inside a package, or undefined when it can. A package is unpacked
 * into one directory, so every path must stay inside it, whatever tool unpacks it: no absolute paths,
 * no drive letters, no `..` segments, and no backslashes (which Windows tools read as separators, so
 * `..\x` would escape there).
 */
export function pathProblem(path: string): string | undefined {
  const bare = path.endsWith('/') ? path.slice(0, -1) : path;
  if (bare === '') return 'an empty path';
  if (path.includes('\\')) return 'a backslash';
  if (hasControlCharacter(path)) return 'a control character';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'an absolute path';
  const segments = bare.split('/');
  if (segments.includes('..')) return 'a ".." segment';
  if (segments.some((segment) => segment === '' || segment === '.')) return 'an empty or "." segment';
  return undefined;
}

/**
 * Why a symbolic link at `linkPath` to `target` points outside the package, or undefined when it stays
 * inside: absolute targets leave it, and relative ones are resolved from the link's directory.
 */
export function symlinkTargetProblem(linkPath: string, target: string): string | undefined {
  if (target === '') return 'an empty target';
  if (target.includes('\\') || hasControlCharacter(target)) return 'a target with a backslash or control character';
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target)) return 'an absolute target';
  const resolved = posix.normalize(posix.join(posix.dirname(linkPath), target));
  if (resolved === '..' || resolved.startsWith('../')) return 'a target outside the package';
  return undefined;
}

/** Keeps the permission bits, and makes sure the owner can read (and write, for files) what the package holds. */
export function normalizedMode(mode: number, kind: 'file' | 'directory'): number {
  const permissions = mode & 0o777;
  return kind === 'directory' ? permissions | 0o700 : permissions | 0o600;
}

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) < 0x20) return true;
  return false;
}
