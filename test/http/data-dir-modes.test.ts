import { expect } from 'chai';
import { chmod, lstat, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServerProcess, type ServerProcess } from '../support/server-process.ts';

/** The permission bits of the directory and of everything below it, by path relative to it ('.' for itself). */
async function modesUnder(root: string, relative = '.'): Promise<Map<string, number>> {
  const modes = new Map<string, number>([[relative, (await lstat(join(root, relative))).mode & 0o777]]);
  for (const entry of await readdir(join(root, relative), { withFileTypes: true })) {
    const path = relative === '.' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) for (const [below, mode] of await modesUnder(root, path)) modes.set(below, mode);
    else modes.set(path, (await lstat(join(root, path))).mode & 0o777);
  }
  return modes;
}

/** Every directory below the root that the walk found ('.' for itself). */
async function directoriesUnder(root: string, modes: Map<string, number>): Promise<string[]> {
  const directories: string[] = [];
  for (const path of modes.keys()) if ((await lstat(join(root, path))).isDirectory()) directories.push(path);
  return directories;
}

function expectPrivate(modes: Map<string, number>, directories: string[]): void {
  for (const [path, mode] of modes) {
    expect(mode.toString(8), path).to.equal(directories.includes(path) ? '700' : '600');
  }
}

async function killed(server: ServerProcess): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGKILL');
  await exited;
}

describe('the data directory of the embedded backend', function () {
  this.timeout(90_000); // server processes start slowly on a loaded machine
  const start = async (dataDir: string) =>
    startServerProcess({ CFAPI_DATA_DIR: dataDir, CFAPI_LISTEN_PORT: String(await freePort()), CFAPI_LOG_LEVEL: 'warn' });

  it('is private from the first start: 0700 directories, 0600 files, also those SQLite creates itself', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'cf-api-modes-')), 'data');
    const server = await start(dataDir);
    try {
      const modes = await modesUnder(dataDir);
      expect([...modes.keys()]).to.include.members(['store.sqlite', 'store.sqlite-wal', 'kubeconfig', 'auth/ca.key', 'auth/ca.crt']);
      expect(await directoriesUnder(dataDir, modes)).to.include.members(['.', 'auth', 'bits']);
      expectPrivate(modes, await directoriesUnder(dataDir, modes));
      expect(server.output()).not.to.contain('Made the data directory');
    } finally {
      await killed(server);
    }
  });

  it('makes a loose data directory private at start, saying so', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cf-api-modes-'));
    await killed(await start(dataDir)); // a kill leaves the store's write-ahead log behind
    // What an older release, a copy or an archive may leave: readable by everyone, a stray -shm included.
    await writeFile(join(dataDir, 'store.sqlite-shm'), '');
    const loose = await modesUnder(dataDir);
    expect([...loose.keys()]).to.include.members(['store.sqlite', 'store.sqlite-wal', 'store.sqlite-shm', 'kubeconfig', 'auth/ca.key']);
    const looseDirectories = await directoriesUnder(dataDir, loose);
    for (const path of loose.keys()) await chmod(join(dataDir, path), looseDirectories.includes(path) ? 0o755 : 0o644);

    // Not the server's: a data directory may be shared with other content, which keeps its modes.
    await writeFile(join(dataDir, 'notes.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await chmod(join(dataDir, 'notes.sh'), 0o755);
    const server = await start(dataDir);
    try {
      const modes = await modesUnder(dataDir);
      expect(modes.get('notes.sh')?.toString(8)).to.equal('755');
      modes.delete('notes.sh');
      expectPrivate(modes, await directoriesUnder(dataDir, modes));
      expect(server.output()).to.match(
        /Made the data directory .* private \(it holds private keys and tokens\): \d+ directories set to 0700, \d+ files to 0600/,
      );
    } finally {
      await killed(server);
    }
  });
});
