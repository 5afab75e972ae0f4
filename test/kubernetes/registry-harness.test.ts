import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from '../store/fixture.ts';

describe('The test registry harness', function () {
  this.timeout(60_000);

  it('takes the registry down with a test process that dies of an uncaught error', async function () {
    const harness = fileURLToPath(new URL('../support/registry.ts', import.meta.url));
    const script = `const { startTestRegistry } = await import(${JSON.stringify(harness)});
      const registry = await startTestRegistry();
      console.log(registry.pid);
      throw new Error('the test process dies');`;
    const pid = await new Promise<number>((resolve) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], (_error, stdout) => resolve(Number(stdout.trim()))),
    );

    expect(pid).to.be.greaterThan(0);
    await eventually(async () => expect(isRunning(pid)).to.equal(false));
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
