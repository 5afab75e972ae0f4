import { readFileSync, realpathSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/**
 * Where a path's data lives: the mount holding it and its filesystem, so a figure says whether it was
 * measured on tmpfs (memory: fsync costs nothing) or on a disk.
 */
export function storageOf(path: string): string {
  let resolved = path;
  try {
    resolved = realpathSync(path);
  } catch {
    // Not created yet: the mount of the path as written.
  }
  let best = { mountPoint: '', type: 'unknown', device: '' };
  try {
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [device = '', mountPoint = '', type = ''] = line.split(' ');
      const holds = resolved === mountPoint || resolved.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
      if (holds && mountPoint.length > best.mountPoint.length) best = { mountPoint, type, device };
    }
  } catch {
    return `${path} (filesystem unknown)`;
  }
  const medium = best.type === 'tmpfs' ? 'tmpfs, in memory' : `${best.type} on ${best.device}`;
  return `${path} (${medium})`;
}

/** The machine and runtime a benchmark ran on. */
export function machine(): string {
  // All the machine's cores, even when this process is pinned to some of them.
  const cores = cpus();
  return `Node ${process.version}, ${cores.length} cores (${cores[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`;
}

/** Prints a benchmark's setup, one `key: value` line each, before its figures. */
export function printSetup(title: string, lines: Record<string, string>): void {
  process.stdout.write(`${title}\n`);
  for (const [key, value] of Object.entries({ machine: machine(), ...lines })) process.stdout.write(`  ${key}: ${value}\n`);
}
