/**
 * Writes to an embedded store as fast as it can and prints one line per acknowledged write
 * (`<create|patch> <resourceVersion> <name>`), until it is killed. Run by crash.test.ts, which
 * SIGKILLs it mid-loop and checks that every acknowledged write survived.
 *
 * Usage: node crash-child.ts <store file> <process-crash|power-loss>
 */
import { openEmbeddedStore, type Durability } from '../../../src/store/embedded/embedded-store.ts';

const [file, durability] = process.argv.slice(2) as [string, Durability];
const store = await openEmbeddedStore({ file, durability });
const session = store.privileged();
await session.create({ kind: 'Namespace', metadata: { name: 'crash' } });
process.stdout.write('ready\n');

for (let index = 0; ; index += 1) {
  const name = `app-${index}`;
  const created = await session.create({
    kind: 'CFApp',
    metadata: { name, namespace: 'crash', labels: { index: String(index) } },
    spec: { displayName: name, desiredState: 'STOPPED', lifecycle: { type: 'buildpack', data: { stack: 'cflinuxfs4' } } },
  });
  process.stdout.write(`create ${created.metadata.resourceVersion} ${name}\n`);
  if (index % 3 === 2) {
    const previous = `app-${index - 1}`;
    const patched = await session.patch(
      { kind: 'CFApp', namespace: 'crash', name: previous },
      { metadata: { labels: { patched: 'yes' } } },
    );
    process.stdout.write(`patch ${patched.metadata.resourceVersion} ${previous}\n`);
  }
}
