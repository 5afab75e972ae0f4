import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openEmbeddedStore, type Durability } from '../../../src/store/embedded/embedded-store.ts';

const child = new URL('./crash-child.ts', import.meta.url).pathname;

type Acknowledged = { operation: string; resourceVersion: number; name: string };

/** Runs the writer until it has acknowledged `writes` writes, then kills it with SIGKILL. */
async function writeUntilKilled(file: string, durability: Durability, writes: number): Promise<Acknowledged[]> {
  const writer = spawn(process.execPath, [child, file, durability], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acknowledged: Acknowledged[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => writer.on('exit', (_code, signal) => resolve(signal)));
  for await (const line of createInterface({ input: writer.stdout })) {
    if (line === 'ready') continue;
    const [operation, resourceVersion, name] = line.split(' ') as [string, string, string];
    acknowledged.push({ operation, resourceVersion: Number(resourceVersion), name });
    if (acknowledged.length === writes) writer.kill('SIGKILL');
  }
  expect(await exited).to.equal('SIGKILL');
  return acknowledged;
}

describe('embedded store: crash consistency', function () {
  this.timeout(60_000);
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'embedded-crash-'));
  });
  afterEach(async () => rm(directory, { recursive: true, force: true }));

  for (const durability of ['process-crash', 'power-loss'] as const) {
    it(`keeps every acknowledged write when the writer is SIGKILLed (${durability})`, async () => {
      const file = join(directory, 'store.db');
      const acknowledged = await writeUntilKilled(file, durability, durability === 'power-loss' ? 150 : 1500);
      expect(acknowledged.length).to.be.at.least(150);

      const store = await openEmbeddedStore({ file });
      try {
        expect(store.integrityCheck()).to.deep.equal(['ok']);
        const session = store.privileged();
        const { items, resourceVersion } = await session.list('CFApp', { namespace: 'crash' });
        const byName = new Map(items.map((item) => [item.metadata.name, item]));
        for (const write of acknowledged) {
          const stored = byName.get(write.name);
          expect(stored, `${write.operation} of ${write.name}`).not.to.equal(undefined);
          expect(Number(stored!.metadata.resourceVersion)).to.be.at.least(write.resourceVersion);
          if (write.operation === 'patch') expect(stored!.metadata.labels).to.deep.include({ patched: 'yes' });
        }
        const last = Math.max(...acknowledged.map((write) => write.resourceVersion));
        expect(Number(resourceVersion)).to.be.at.least(last);
        // The store goes on from where it was: new writes get new, higher versions.
        const next = await session.create({ kind: 'Secret', metadata: { name: 'after-crash', namespace: 'crash' } });
        expect(Number(next.metadata.resourceVersion)).to.be.greaterThan(Number(resourceVersion));
      } finally {
        await store.close();
      }
    });
  }
});
