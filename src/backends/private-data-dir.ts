import { chmod, lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const privateDirectoryMode = 0o700;
const privateFileMode = 0o600;

/**
 * What the server keeps at the top of its data directory: the store (with SQLite's companions), the
 * kubeconfig (with the temporary copies and the lock of its writes), `auth/` and `bits/` (the apps'
 * uploaded code). Anything else is someone else's: a `dataDir`
 * pointed at a directory with other content (a home directory, say) must not have it all chmod-ed.
 */
const ownEntry = /^(store\.sqlite(-wal|-shm|-journal)?|kubeconfig(\.\d+(\.tmp)?|\.lock)?|auth|bits)$/;

/**
 * Makes the data directory private at every start, before anything in it is opened: it holds the CA's
 * key, users' tokens and private keys (also in the kubeconfig) and the store, whose Secrets are
 * plaintext. The directory and every directory below it get 0700, every file 0600, whatever an older
 * release, a copy or an archive left behind — of what the server keeps there (`ownEntry`); other files
 * are left alone. Symbolic links are neither followed nor changed.
 * Returns a line saying what was changed, or nothing when all was private already.
 *
 * The store's file being 0600 also covers the files SQLite creates later: it gives its `-wal`,
 * `-journal` and `-shm` the mode of the database file.
 */
export async function makeDataDirPrivate(dataDir: string): Promise<string | undefined> {
  const root = resolve(dataDir);
  await mkdir(root, { recursive: true, mode: privateDirectoryMode });
  const changed = { directories: 0, files: 0 };
  if (await makePrivate(root, (await stat(root)).mode, privateDirectoryMode)) changed.directories++;
  await makeContentsPrivate(root, changed, (name) => ownEntry.test(name));
  if (changed.directories + changed.files === 0) return undefined;
  return (
    `Made the data directory ${root} private (it holds private keys and tokens): ` +
    `${changed.directories} director${changed.directories === 1 ? 'y' : 'ies'} set to 0700, ` +
    `${changed.files} file${changed.files === 1 ? '' : 's'} to 0600\n`
  );
}

async function makeContentsPrivate(
  directory: string,
  changed: { directories: number; files: number },
  isOurs: (name: string) => boolean = () => true,
): Promise<void> {
  for (const name of (await readdir(directory)).filter(isOurs)) {
    const path = join(directory, name);
    const entry = await lstat(path);
    if (entry.isDirectory()) {
      if (await makePrivate(path, entry.mode, privateDirectoryMode)) changed.directories++;
      await makeContentsPrivate(path, changed);
    } else if (entry.isFile() && (await makePrivate(path, entry.mode, privateFileMode))) {
      changed.files++;
    }
  }
}

async function makePrivate(path: string, mode: number, wanted: number): Promise<boolean> {
  if ((mode & 0o777) === wanted) return false;
  await chmod(path, wanted);
  return true;
}
